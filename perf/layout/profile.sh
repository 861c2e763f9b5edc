#!/usr/bin/env bash
# Records which managed methods the injector runs (start-up, then the loads perf/throughput.sh drives,
# with the default config and with Istio's own template) and writes them, hottest first, as the method
# order ILC lays the binary out in (src/SidecarInjector/MethodOrder.txt; see the csproj).
#
# Why: the kernel maps a binary's pages 64 KB at a time around each page touched (fault-around), and
# the compiler's default order scatters the ~5,700 methods a webhook runs among the ~39,000 it
# contains, so nearly every 64 KB of the code was resident. Listed methods are laid out first, together.
#
# How: valgrind's callgrind executes the real binary and records every instruction address it runs
# (exact, not sampled: a method run once at start-up and missed would cost its 64 KB window again);
# perf's samples of the native binary under perf/throughput.sh's distinct-pods load add what that load
# runs often; perf/layout/method-order.py maps the addresses to methods with the binary's .dbg file.
#
# Usage: perf/layout/profile.sh [published-dir] [order-file]   (apt-get install valgrind linux-perf wrk nghttp2-client; root for perf)
# The published dir holds sidecar-injector and sidecar-injector.dbg (dotnet publish src/SidecarInjector
# -c Release -o out). A method renamed since the profile simply falls back to the compiler's order.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
published=${1:-$repo/out}
order_file=${2:-$repo/src/SidecarInjector/MethodOrder.txt}
for tool in valgrind perf wrk h2load python3 curl taskset; do
  command -v $tool > /dev/null || { echo "$tool missing (apt-get install valgrind linux-perf wrk nghttp2-client)" >&2; exit 1; }
done
[[ -x $published/sidecar-injector && -f $published/sidecar-injector.dbg ]] \
  || { echo "no sidecar-injector with its .dbg in $published" >&2; exit 1; }

work=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
# Valgrind 3.19 cannot read the DWARF 5 of the .dbg file and gives up; alone, the binary runs with
# addresses for names, which method-order.py resolves itself.
mkdir "$work/bin" && cp "$published/sidecar-injector" "$work/bin/"
binary=$work/bin/sidecar-injector
"$binary" sample-review > "$work/review.json"
# 1,000 reviews (200 workloads): enough that later pods of a workload miss the memo but find their
# render (the direct patch), few enough that the first pass ends within the run under valgrind
# (~16 fresh pods a second).
python3 "$repo/perf/distinct/reviews.py" "$work/reviews.jsonl" 1000 --large-share 0.02 > /dev/null
# One workload's pods, each with its own value of an env var: one render key (the sidecar does not read
# the app's env), a memo key each. The first two are merged (the render kept, then confirmed), the rest
# are patched straight from their bytes: the direct path, which the distinct reviews reach only by chance.
python3 - "$work/review.json" "$work/direct.jsonl" <<'PY'
import json, sys
review = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as out:
    for i in range(40):
        review["request"]["uid"] = f"00000000-0000-0000-0000-{i:012d}"
        review["request"]["object"]["spec"]["containers"][0].setdefault("env", []).append({"name": f"PROFILE_{i}", "value": str(i)})
        out.write(json.dumps(review, separators=(",", ":")) + "\n")
PY
mkdir "$work/istio"
for part in template:config values:values mesh:mesh; do
  cp "$repo/tests/testdata/istio-inject/inputs/default.${part%%:*}.gen.yaml" "$work/istio/${part##*:}"
done

profile() { # name, serve flags...
  local name=$1; shift
  local port=$((20000 + RANDOM % 20000)); local admin=$((port + 1))
  valgrind --tool=callgrind --dump-instr=yes --dump-line=no --callgrind-out-file="$work/callgrind.$name" \
    "$binary" serve --dev --port "$port" --admin-port "$admin" --enable-noop-endpoint --log-level Information "$@" \
    > "$work/server.$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$admin/readyz" > /dev/null 2>&1 && break; sleep 0.2; done
  curl -fsS "http://127.0.0.1:$admin/readyz" > /dev/null || { cat "$work/server.$name.log" >&2; exit 1; }
  # What perf/throughput.sh drives: distinct pods (each workload's first pods, then its siblings from
  # the tables), one review over and over with and without gzip, the no-op, and what kubelet and
  # Prometheus ask for.
  for run in gzip:90 :20; do
    ACCEPT_ENCODING=${run%%:*} REVIEWS="$work/reviews.jsonl" wrk -t 1 -c 2 -d "${run##*:}s" \
      -s "$repo/perf/distinct/cycle.lua" "https://127.0.0.1:$port/inject" > /dev/null 2>&1
  done
  REVIEWS="$work/direct.jsonl" wrk -t 1 -c 1 -d 15s -s "$repo/perf/distinct/cycle.lua" \
    "https://127.0.0.1:$port/inject" > /dev/null 2>&1
  h2load --h1 -c 2 -n 300 -d "$work/review.json" -H 'Content-Type: application/json' -H 'Accept-Encoding: gzip' \
    "https://127.0.0.1:$port/inject" > /dev/null 2>&1
  h2load --h1 -c 2 -n 300 -d "$work/review.json" -H 'Content-Type: application/json' \
    "https://127.0.0.1:$port/inject" > /dev/null 2>&1
  REVIEWS="$work/reviews.jsonl" wrk -t 1 -c 2 -d 10s -s "$repo/perf/distinct/cycle.lua" \
    "https://127.0.0.1:$port/noop" > /dev/null 2>&1
  for path in readyz healthz metrics; do curl -fsS "http://127.0.0.1:$admin/$path" > /dev/null || true; done
  curl -fsSk "https://127.0.0.1:$port/livez" > /dev/null || true
  echo "$name: $(curl -fsS "http://127.0.0.1:$admin/metrics" | grep '^sidecar_injector_injections_total' | tr '\n' ' ')" >&2
  kill -TERM $pid; wait $pid || true; pid=""
}
# Valgrind's runs are exact but short (and the fresh paths depend on the order reviews come in: a
# workload's later pods go straight from their bytes only once its render is confirmed). perf's samples
# of the native binary under perf/throughput.sh's own load add what that load runs often.
sample() { # name, serve flags...
  local name=$1; shift
  local port=$((20000 + RANDOM % 20000)); local admin=$((port + 1))
  taskset -c 0 "$binary" serve --dev --port "$port" --admin-port "$admin" --log-level Information "$@" \
    > "$work/native.$name.log" 2>&1 &
  pid=$!
  until curl -fsS "http://127.0.0.1:$admin/readyz" > /dev/null 2>&1; do sleep 0.01; done
  perf record -F 5000 -p $pid -o "$work/perf.$name.data" -- sleep 25 > /dev/null 2>&1 &
  local recorder=$!
  REVIEWS="$work/benchmark.jsonl" taskset -c 1 wrk -t 1 -c 8 -d 20s -s "$repo/perf/distinct/cycle.lua" \
    "https://127.0.0.1:$port/inject" > /dev/null 2>&1
  wait $recorder || true
  echo "$name (native, sampled): $(curl -fsS "http://127.0.0.1:$admin/metrics" | grep '^sidecar_injector_injections_total' | tr '\n' ' ')" >&2
  kill -TERM $pid; wait $pid || true; pid=""
  perf script -i "$work/perf.$name.data" -F ip,dso 2> /dev/null | awk -v bin="$binary" '$2 == "(" bin ")" {print $1}' \
    > "$work/native.$name.ips"
}

profile default
profile istio --config-dir "$work/istio"
python3 "$repo/perf/distinct/reviews.py" "$work/benchmark.jsonl" 5000 --large-share 0.02 > /dev/null
sample default
sample istio --config-dir "$work/istio"
python3 "$repo/perf/layout/method-order.py" "$published/sidecar-injector.dbg" "$work"/callgrind.* "$work"/native.*.ips > "$order_file"
echo "$(wc -l < "$order_file") methods written to $order_file" >&2
