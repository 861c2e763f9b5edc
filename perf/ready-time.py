#!/usr/bin/env python3
"""Time from exec to ready: start the injector the way a Deployment does (certificate files from a
Secret mount, the ConfigMap directory) and poll GET /readyz on the admin port over a raw socket
every 0.2 ms until it answers 200. The clock starts just before exec, so it includes the runtime's
own start-up, not only Main. Reports min / median / max over N starts, the server's own figure, and
the baselines measured the same way in the same run:
- `sidecar-injector --version` (runtime start-up and exit, no server);
- with BASELINE=PATH/TO/ready-baseline (`dotnet publish perf/ReadyBaseline -c Release -o out`), the
  least Kestrel + TLS server of the design card, started with the same flags and polled the same way,
  alternating with the injector start by start so that both see the same machine.

Usage: perf/ready-time.py [PATH/TO/sidecar-injector] [starts]
(EXTRA_ARGS='--kubeconfig FILE --webhook-config-name NAME' adds flags to the injector's `serve`.)
"""
import os
import random
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "out", "sidecar-injector")
starts = int(sys.argv[2]) if len(sys.argv) > 2 else 20


def make_certificate(directory):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-days", "2", "-subj", "/CN=sidecar-injector.sidecar-injector.svc",
         "-addext", "subjectAltName=DNS:sidecar-injector.sidecar-injector.svc,DNS:localhost",
         "-keyout", os.path.join(directory, "tls.key"), "-out", os.path.join(directory, "tls.crt")],
        check=True, capture_output=True)


def ready(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def one_start(certs, program=binary, extra=os.environ.get("EXTRA_ARGS", "")):
    port = random.randint(20000, 40000)
    started = time.perf_counter()
    server = subprocess.Popen(
        [program, "serve", "--port", str(port), "--admin-port", str(port + 1),
         "--tls-cert-file", os.path.join(certs, "tls.crt"), "--tls-key-file", os.path.join(certs, "tls.key"),
         "--config-dir", os.path.join(REPO, "deploy", "base", "injector-config")] + shlex.split(extra),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        while not ready(port + 1):
            if server.poll() is not None:
                sys.exit("the server exited: " + server.stdout.read())
            if time.perf_counter() - started > 10:
                sys.exit("not ready after 10 s")
            time.sleep(0.0002)
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        server.terminate()
        log = server.communicate(timeout=10)[0]
    own = next((line.split("started in ")[1] for line in log.splitlines() if "started in " in line), "?")
    return elapsed, own


floor = os.environ.get("BASELINE")
results, floor_times = [], []
with tempfile.TemporaryDirectory() as certs:
    make_certificate(certs)
    # Warm the page cache: a pod's first start reads the image from disk anyway.
    one_start(certs)
    if floor:
        one_start(certs, floor, "")
    for _ in range(starts):
        results.append(one_start(certs))
        if floor:
            floor_times.append(one_start(certs, floor, "")[0])
baseline = []
for _ in range(starts):
    began = time.perf_counter()
    subprocess.run([binary, "--version"], check=True, capture_output=True)
    baseline.append((time.perf_counter() - began) * 1000)
times = sorted(r[0] for r in results)
print(f"exec to ready over {starts} starts: min {times[0]:.1f} ms, median {statistics.median(times):.1f} ms, max {times[-1]:.1f} ms")
print(f"baseline, `--version` exec to exit: median {statistics.median(baseline):.1f} ms")
if floor:
    floor_times.sort()
    ratio = statistics.median(times) / statistics.median(floor_times)
    print(f"baseline, {os.path.basename(floor)} exec to ready: min {floor_times[0]:.1f} ms, "
          f"median {statistics.median(floor_times):.1f} ms, max {floor_times[-1]:.1f} ms; injector / baseline {ratio:.2f}")
print("the server's own figure (from Main):", ", ".join(r[1] for r in results[:5]), "...")
