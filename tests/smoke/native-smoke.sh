#!/usr/bin/env bash
# Smoke test of the published Native AOT binary, run the way a distroless image runs it:
# an otherwise empty root holding the binary, the libraries `ldd` names (plus OpenSSL, which
# .NET loads at run time), the mounted certificate and ConfigMap, no shell and no .NET runtime;
# read-only, as a non-root user, in its own mount and PID namespaces. It must serve real
# AdmissionReviews over TLS.
#
# Usage: tests/smoke/native-smoke.sh PATH/TO/sidecar-injector
set -euo pipefail
# If anything outside a check fails, say where, so a CI log is enough to find it.
trap 'echo "native-smoke: command failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

binary=$(readlink -f "${1:?usage: native-smoke.sh PATH/TO/sidecar-injector}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
root="$work/root"
pid=""
passed=0
failed=0

cleanup() {
  if [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

check() { # name, command...
  local name=$1; shift
  if "$@"; then echo "ok   - $name"; passed=$((passed + 1)); else echo "FAIL - $name"; failed=$((failed + 1)); fi
}

copy_with_deps() { # copy a file and the shared libraries ldd names for it into $root
  local file=$1
  mkdir -p "$root$(dirname "$file")"
  cp -L "$file" "$root$file"
  ldd "$file" 2>/dev/null | grep -oE '/[^ ]+' | while read -r lib; do
    [[ -e $root$lib ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

# 1. The root: the binary, what ldd names, and OpenSSL (dlopen'ed by System.Net.Security).
mkdir -p "$root/app" "$root/tmp" "$root/proc" "$root/dev" "$root/etc/sidecar-injector/certs" "$root/etc/sidecar-injector/config"
cp "$binary" "$root/app/sidecar-injector"
copy_with_deps "$binary"
rm -f "$root$binary"
for ssl in libssl.so.3 libcrypto.so.3; do
  # awk reads to the end (no early exit): under pipefail an early exit would kill ldconfig with SIGPIPE.
  path=$(ldconfig -p | awk -v n="$ssl" '!found && $1 == n && /x86-64/ {print $NF; found = 1}')
  [[ -n $path ]] || { echo "native-smoke: $ssl not found by ldconfig (install libssl3)" >&2; exit 1; }
  copy_with_deps "$path"
done
echo "app:x:1654:1654::/home/app:/sbin/nologin" > "$root/etc/passwd"
echo "app:x:1654:" > "$root/etc/group"

# 2. A CA and a serving certificate, as cert-manager would put them in the Secret mount.
certs="$root/etc/sidecar-injector/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=smoke CA" \
  -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=sidecar-injector.sidecar-injector.svc" \
  -keyout "$certs/tls.key" -out "$work/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:sidecar-injector.sidecar-injector.svc,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$work/ext"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
  -extfile "$work/ext" -out "$certs/tls.crt" 2>/dev/null
cp "$repo/deploy/base/injector-config/config" "$repo/deploy/base/injector-config/values" "$root/etc/sidecar-injector/config/"
# A container runtime gives every container these device nodes; .NET reads /dev/urandom.
for dev in null zero random urandom; do touch "$root/dev/$dev"; done
chmod -R a+rX "$root"
chmod 1777 "$root/tmp"

echo "root contents:"; (cd "$root" && find . -type f | sort | sed 's/^/  /')
check "no shell in the root" test ! -e "$root/bin/sh"
check "no .NET runtime in the root" test -z "$(find "$root" -name 'libcoreclr.so' -o -name 'System.Private.CoreLib.dll')"

# 3. Run it: own mount and PID namespaces, root filesystem read-only, uid 1654.
port=$((20000 + RANDOM % 20000)); admin=$((port + 1))
unshare --mount --pid --fork --kill-child bash -c '
  set -e
  mount --bind "$1" "$1"
  for dev in null zero random urandom; do mount --bind "/dev/$dev" "$1/dev/$dev"; done
  mount -o remount,bind,ro "$1"
  mount -t proc proc "$1/proc"
  mount -t tmpfs -o size=16m tmpfs "$1/tmp"
  exec chroot --userspec=1654:1654 "$1" /app/sidecar-injector serve --port "$2" --admin-port "$3"
' _ "$root" "$port" "$admin" > "$work/server.log" 2>&1 &
pid=$!

ready=0
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$admin/readyz" > /dev/null 2>&1; then ready=1; break; fi
  sleep 0.1
done
check "ready on the admin port" test "$ready" = 1
[[ $ready = 1 ]] || { cat "$work/server.log"; exit 1; }

review() { # version → response file
  "$binary" sample-review $([[ $1 = v1beta1 ]] && echo --v1beta1) > "$work/review-$1.json"
  curl -sS --cacert "$work/ca.crt" --resolve "sidecar-injector.sidecar-injector.svc:$port:127.0.0.1" \
    -H 'Content-Type: application/json' --data-binary "@$work/review-$1.json" \
    "https://sidecar-injector.sidecar-injector.svc:$port/inject?timeout=10s" > "$work/response-$1.json"
}
answers() { # version → checks the answer is an injected pod
  python3 - "$work/response-$1.json" "$1" <<'PY'
import base64, json, sys
r = json.load(open(sys.argv[1]))
assert r["apiVersion"] == "admission.k8s.io/" + sys.argv[2], r
resp = r["response"]
assert resp["uid"] == "0df28fbd-5f5f-11e8-bc74-36e6bb280816" and resp["allowed"] is True and resp["patchType"] == "JSONPatch", resp
ops = json.loads(base64.b64decode(resp["patch"]))
assert any(o["path"] == "/spec/containers/1" and o["value"]["name"] == "istio-proxy" for o in ops), ops
PY
}
for version in v1 v1beta1; do
  review "$version"
  check "serves an injected $version review over TLS with the CA-signed certificate" answers "$version"
done
# The client is forced to offer the old protocol (SECLEVEL=0), so only the server can refuse it.
handshake() { openssl s_client -connect "127.0.0.1:$port" "$1" -cipher 'DEFAULT@SECLEVEL=0' < /dev/null > /dev/null 2>&1; }
check "TLS 1.2 handshake succeeds" handshake -tls1_2
check "TLS 1.3 handshake succeeds" handshake -tls1_3
check "TLS 1.1 handshake is refused" bash -c "! openssl s_client -connect 127.0.0.1:$port -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' < /dev/null > /dev/null 2>&1"
curl -fsS "http://127.0.0.1:$admin/metrics" > "$work/metrics.txt" || true
check "metrics are exported" grep -q '^sidecar_injection_success_total 2' "$work/metrics.txt"
server=$(pgrep -of "/app/sidecar-injector serve --port $port" || true)
check "process runs as uid 1654" test "$(ps -o uid= -p "${server:-0}" | tr -d ' ')" = 1654

cat > "$work/deployment.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
YAML
inject_ok() {
  "$binary" inject -f "$work/deployment.yaml" --config-dir "$root/etc/sidecar-injector/config" -o "$work/injected.yaml" \
    && grep -q "name: istio-proxy" "$work/injected.yaml" && grep -q "^kind: Service" "$work/injected.yaml"
}
check "inject (kube-inject) rewrites a Deployment and keeps the Service" inject_ok

# The shipped ConfigMap as a manifest (what `kubectl get cm -o yaml` prints), then with a typo.
{
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sidecar-injector\ndata:\n'
  for key in config values; do
    printf '  %s: |\n' "$key"
    sed 's/^/    /' "$root/etc/sidecar-injector/config/$key"
  done
} > "$work/configmap.yaml"
sed 's/| quote }}/| quoted }}/' "$work/configmap.yaml" > "$work/broken-configmap.yaml"
check_config_ok() {
  "$binary" check-config --config-file "$work/configmap.yaml" > "$work/check.txt" && grep -q '^ok: ' "$work/check.txt" \
    && ! "$binary" check-config --config-file "$work/broken-configmap.yaml" > "$work/check-broken.txt" \
    && grep -q "broken-configmap.yaml:[0-9]*:[0-9]*: template sidecar: function \"quoted\" not defined" "$work/check-broken.txt"
}
check "check-config passes the shipped ConfigMap and names a typo's file line" check_config_ok

# The cluster features against a stand-in apiserver over TLS: the native client lists namespaces, nodes
# and the webhook configuration (source-generated models) and patches the caBundle from the CA file.
api_port=$((port + 2))
python3 "$repo/tests/smoke/stand-in-apiserver.py" "$api_port" "$certs/tls.crt" "$certs/tls.key" "$work/patch.json" &
api_pid=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$api_port") 2>/dev/null && break; sleep 0.1; done
cat > "$work/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: smoke
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $(base64 -w0 "$work/ca.crt")
users:
- name: injector
  user:
    token: smoke-token
contexts:
- name: smoke
  context:
    cluster: smoke
    user: injector
current-context: smoke
KUBECONFIG
"$binary" serve --dev --port $((port + 3)) --admin-port $((port + 4)) --kubeconfig "$work/kubeconfig" \
  --webhook-config-name sidecar-injector --ca-file "$work/ca.crt" > "$work/cluster.log" 2>&1 &
cluster_pid=$!
cluster_ok() {
  for _ in $(seq 1 100); do [[ -s $work/patch.json ]] && break; sleep 0.1; done
  python3 - "$work/patch.json" "$work/ca.crt" <<'PY'
import base64, json, sys
sent = json.load(open(sys.argv[1]))
assert sent["contentType"].startswith("application/json-patch+json"), sent
ca = open(sys.argv[2], "rb").read()
assert any(op["op"] == "add" and op["path"] == "/webhooks/0/clientConfig/caBundle" and base64.b64decode(op["value"]) == ca
           for op in sent["patch"]), sent
PY
}
check "with a cluster: sets the webhook's caBundle from the CA file (stand-in apiserver)" cluster_ok
nodes_ok() {
  for _ in $(seq 1 50); do grep -q 'native sidecars (ENABLE_NATIVE_SIDECARS=auto): on, every one of 1 nodes' "$work/cluster.log" && return 0; sleep 0.1; done
  return 1
}
check "with a cluster: the nodes' kubelet versions listed (native sidecars on, kubelet v1.34)" nodes_ok
check "with a cluster: namespaces, nodes and the webhook configuration listed without error, patched once" \
  bash -c "! grep -q 'failed' '$work/cluster.log' && [[ \$(grep -c 'caBundle of mutatingwebhookconfiguration' '$work/cluster.log') = 1 ]]"
# check-inject with the native client: the pod, its namespace and the injectors' webhooks read, the answer in JSON.
check_inject_ok() {
  "$binary" check-inject -n demo web -o json --kubeconfig "$work/kubeconfig" > "$work/check-inject.json" || return 1
  python3 - "$work/check-inject.json" <<'PY'
import json, sys
answer = json.load(open(sys.argv[1]))
assert answer["injected"] is True and answer["reason"].endswith("which injects it: policy enabled"), answer
assert answer["webhooks"][0]["selected"] and answer["config"] == "the embedded default", answer
PY
}
check "check-inject answers for a live pod (stand-in apiserver), -o json" check_inject_ok
explain_ok() {
  printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {sidecar.istio.io/inject: "false"}}\nspec:\n  containers: [{name: web, image: nginx}]\n' \
    | "$binary" explain -f - --namespace-labels sidecar-injection=enabled -o json > "$work/explain.json" || return 1
  python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert a["injected"] is False and "sidecar.istio.io/inject=false" in a["reason"], a' "$work/explain.json"
}
check "explain answers offline (deploy/'s webhook compiled in), -o json" explain_ok
kill "$cluster_pid" "$api_pid" 2>/dev/null || true

[[ -n $server ]] && kill -TERM "$server"
stopped=0
for _ in $(seq 1 100); do kill -0 "$server" 2>/dev/null || { stopped=1; break; }; sleep 0.1; done
check "stops gracefully on SIGTERM" bash -c "[[ $stopped = 1 ]] && grep -q 'stopped' '$work/server.log'"

echo "native-smoke: $passed passed, $failed failed"
[[ $failed = 0 ]]
