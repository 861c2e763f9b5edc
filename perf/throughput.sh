#!/usr/bin/env bash
# Injection throughput against a no-op endpoint on the same stack, measured in the same run:
# HTTP/1.1 keep-alive over TLS (as the apiserver calls webhooks), h2load --h1, N connections.
# Also reports binary size, time from exec to ready, idle RSS and RSS under load.
#
# Usage: perf/throughput.sh [PATH/TO/sidecar-injector] [connections] [requests-per-round] [rounds]
# PIN=1 puts the server on the first half of the CPUs and h2load on the other half (less noise on a
# small machine, where the load generator otherwise competes with the server for the same cores).
#
# DISTINCT=N: distinct pods instead of one review, as a busy apiserver sends them: N generated
# reviews (perf/distinct/reviews.py: pods of N/5 workloads, LARGE_SHARE (0.02) with 2,000 env vars) cycled by wrk
# (perf/distinct/cycle.lua), /noop on the very same bodies; each round runs DURATION seconds (10).
# CONFIG=DIR serves that config folder instead of the embedded default; CONFIG=istio builds one
# from Istio's own injection template (tests/testdata/istio-inject/inputs/default.*.gen.yaml).
# Requests carry Accept-Encoding: gzip, as the apiserver's webhook client (Go's net/http) sends it;
# ACCEPT_ENCODING= (empty) sends none, ACCEPT_ENCODING=X sends X. The no-op answers the same either way.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$repo/out/sidecar-injector}
connections=${2:-8}
requests=${3:-100000}
rounds=${4:-3}
distinct=${DISTINCT:-}
if [[ -n $distinct ]]; then
  command -v wrk > /dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
else
  command -v h2load > /dev/null || { echo "h2load missing: apt-get install nghttp2-client" >&2; exit 1; }
fi
[[ -x $binary ]] || { echo "no binary at $binary: dotnet publish src/SidecarInjector -c Release -o out" >&2; exit 1; }

accept_encoding=${ACCEPT_ENCODING-gzip}
accept_header=(); [[ -n $accept_encoding ]] && accept_header=(-H "Accept-Encoding: $accept_encoding")
export ACCEPT_ENCODING=$accept_encoding   # for wrk's cycle.lua
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000)); admin=$((port + 1))
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
"$binary" sample-review > "$work/review.json"
config_flags=()
if [[ ${CONFIG:-} = istio ]]; then
  mkdir -p "$work/istio-config"
  for part in template:config values:values mesh:mesh; do
    cp "$repo/tests/testdata/istio-inject/inputs/default.${part%%:*}.gen.yaml" "$work/istio-config/${part##*:}"
  done
  config_flags=(--config-dir "$work/istio-config")
elif [[ -n ${CONFIG:-} ]]; then
  config_flags=(--config-dir "$CONFIG")
fi
if [[ -n $distinct ]]; then
  python3 "$repo/perf/distinct/reviews.py" "$work/reviews.jsonl" "$distinct" --large-share "${LARGE_SHARE:-0.02}"
  echo "distinct pods: $distinct reviews, $(( $(stat -c %s "$work/reviews.jsonl") / distinct )) bytes each on average"
fi

started=$(date +%s%N)
server_cpus=""; client_cpus=""
if [[ ${PIN:-0} = 1 ]] && command -v taskset > /dev/null && (( $(nproc) >= 2 )); then
  half=$(( $(nproc) / 2 ))
  server_cpus="taskset -c 0-$((half - 1))"; client_cpus="taskset -c $half-$(( $(nproc) - 1 ))"
fi
$server_cpus "$binary" serve --dev "${config_flags[@]}" --port "$port" --admin-port "$admin" --enable-noop-endpoint --log-level Information > "$work/server.log" 2>&1 &
pid=$!
until curl -fsS "http://127.0.0.1:$admin/readyz" > /dev/null 2>&1; do sleep 0.001; done
ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))
sleep 1
idle_rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

client_threads=$(( $(nproc) / (${PIN:-0} == 1 ? 2 : 1) )); (( client_threads > connections )) && client_threads=$connections
run_wrk() { # path → requests/s (p50/p99 and errors to the log)
  REVIEWS="$work/reviews.jsonl" $client_cpus wrk -t "$client_threads" -c "$connections" -d "${DURATION:-10}s" \
    -s "$repo/perf/distinct/cycle.lua" "https://127.0.0.1:$port$1" > "$work/wrk.txt" 2>&1
  awk '/^wrk-summary/ && ($3 != "errors=0" || $4 != "non2xx=0") {print "ERRORS: " $0 > "/dev/stderr"}
       /^wrk-summary/ {print > "/dev/stderr"}' "$work/wrk.txt"
  awk '/^Requests\/sec:/ {print $2}' "$work/wrk.txt"
}
run() { # path → requests/s
  if [[ -n $distinct ]]; then run_wrk "$1"; return; fi
  $client_cpus h2load --h1 -c "$connections" -n "$requests" -d "$work/review.json" \
    -H 'Content-Type: application/json' "${accept_header[@]}" "https://127.0.0.1:$port$1" 2> /dev/null \
    | awk '/^finished in/ {gsub(",", "", $4); print $4} /^requests:/ && ($10 + 0 != 0 || $12 + 0 != 0) {print "ERRORS: " $0 > "/dev/stderr"}'
}
allocated() { # bytes the process has allocated so far (the runtime's own counter, from /metrics)
  curl -fsS "http://127.0.0.1:$admin/metrics" | awk '/^dotnet_gc_heap_total_allocated_bytes_total / {printf "%.0f", $2}'
}
run /noop > /dev/null; run /inject > /dev/null   # warm up both paths
# Allocation per request, end to end (Kestrel and TLS included), measured once per path.
served() { curl -fsS "http://127.0.0.1:$admin/metrics" | awk '/^sidecar_injection_requests_total / {printf "%.0f", $2}'; }
if [[ -n $distinct ]]; then
  # wrk runs for a time, not a count: divide by the reviews the server counted (/noop counts none, so
  # its requests come from wrk's own summary).
  before=$(allocated); run /noop > /dev/null 2> "$work/noop-alloc.txt"
  noop_requests=$(awk -F'[ =]' '/^wrk-summary/ {print $3}' "$work/noop-alloc.txt"); noop_bytes=$(( ($(allocated) - before) / noop_requests ))
  before=$(allocated); served_before=$(served); run /inject > /dev/null 2> /dev/null
  inject_bytes=$(( ($(allocated) - before) / ($(served) - served_before) ))
else
before=$(allocated); run /noop > /dev/null; noop_bytes=$(( ($(allocated) - before) / requests ))
before=$(allocated); run /inject > /dev/null; inject_bytes=$(( ($(allocated) - before) / requests ))
fi
peak=0
noop_sum=0; inject_sum=0
for round in $(seq 1 "$rounds"); do
  noop=$(run /noop)
  inject=$(run /inject)
  rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  echo "round $round: noop ${noop} req/s, inject ${inject} req/s"
  noop_sum=$(echo "$noop_sum + $noop" | bc -l); inject_sum=$(echo "$inject_sum + $inject" | bc -l)
done
if [[ -n $distinct ]]; then
  # Latency at a constant rate, as a busy apiserver sends: half of the no-op's capacity measured above,
  # the same rate for both paths.
  rate=$(printf '%.0f' "$(echo "$noop_sum / $rounds / 2" | bc -l)")
  for path in /noop /inject; do
    RATE=$rate THREADS=$client_threads run_wrk "$path" > /dev/null 2> "$work/rate.txt"
    awk -v path="$path" -v rate="$rate" -v seconds="${DURATION:-10}" -F'[ =]' '/^wrk-summary/ {
      printf "at %d req/s (half the no-op):  %-7s achieved %.0f req/s, p50 %.2f ms, p99 %.2f ms\n", rate, path, $3 / seconds, $9 / 1000, $11 / 1000 }' "$work/rate.txt"
  done
fi
peak=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
echo "binary size:            $(stat -c %s "$binary") bytes"
echo "exec to ready:          ${ready_ms} ms (including the curl poll)"
echo "server log:             $(grep -o 'started in [0-9.]* ms' "$work/server.log" || true)"
echo "idle RSS:               $((idle_rss / 1024)) MiB"
echo "peak RSS under load:    $((peak / 1024)) MiB ($((peak * 1024 / 1000000)).$(( (peak * 1024 / 100000) % 10 )) MB, VmHWM $peak kB)"
printf 'noop mean:              %.0f req/s\n' "$(echo "$noop_sum / $rounds" | bc -l)"
printf 'inject mean:            %.0f req/s\n' "$(echo "$inject_sum / $rounds" | bc -l)"
printf 'inject / noop:          %.1f %%\n' "$(echo "100 * $inject_sum / $noop_sum" | bc -l)"
echo "allocated per request:  noop ${noop_bytes} B, inject ${inject_bytes} B (whole process, Kestrel and TLS included)"
