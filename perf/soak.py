#!/usr/bin/env python3
"""Soak: keep the injector under steady load for a while and watch its RSS. Half the reviews are
one ReplicaSet's identical pods (the memo path), half are unique pods (the full injection path:
parse, render, merge, diff), over HTTP/1.1 keep-alive TLS connections as the apiserver makes them.
Prints RSS every interval, every answer that was not an injection, and the RSS growth from the end
of the warm-up (first quarter) to the end: a flat RSS means no leak.

Usage: perf/soak.py [PATH/TO/sidecar-injector] [seconds] [connections]
"""
import base64
import http.client
import json
import os
import random
import ssl
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "out", "sidecar-injector")
seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 300
connections = int(sys.argv[3]) if len(sys.argv) > 3 else 4
interval = max(1, seconds // 20)

port = random.randint(20000, 40000)
log = tempfile.TemporaryFile(mode="w+")
server = subprocess.Popen([binary, "serve", "--dev", "--port", str(port), "--admin-port", str(port + 1), "--shutdown-delay", "0"],
                          stdout=log, stderr=subprocess.STDOUT)
template = json.loads(subprocess.run([binary, "sample-review"], check=True, capture_output=True, text=True).stdout)


def rss_kib():
    if server.poll() is not None:
        log.seek(0)
        sys.exit(f"the server exited with {server.returncode}:\n" + log.read()[-3000:])
    with open(f"/proc/{server.pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def review(unique):
    body = json.loads(json.dumps(template))
    body["request"]["uid"] = "%032x" % random.getrandbits(128)
    if unique:
        # A different pod each time: its own labels and container image defeat the memo.
        n = random.getrandbits(40)
        body["request"]["object"]["metadata"]["labels"]["build"] = str(n)
        body["request"]["object"]["spec"]["containers"][0]["image"] = f"registry.example.com/app:{n}"
    return json.dumps(body).encode()


served = 0
problems = []
stop = threading.Event()
lock = threading.Lock()


def worker():
    global served
    context = ssl._create_unverified_context()  # the --dev certificate is self-signed; this is a local load test
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    unique = False
    while not stop.is_set():
        unique = not unique
        try:
            connection.request("POST", "/inject?timeout=10s", review(unique), {"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = json.loads(response.read())
            patch = json.loads(base64.b64decode(answer["response"]["patch"]))
            assert response.status == 200 and answer["response"]["allowed"] and patch
            with lock:
                served += 1
        except Exception as error:  # every failure is reported, none stops the soak
            with lock:
                problems.append(repr(error))
            connection.close()
            connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)


for _ in range(200):
    try:
        http.client.HTTPConnection("127.0.0.1", port + 1, timeout=1).request("GET", "/readyz")
        break
    except OSError:
        time.sleep(0.05)
threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
for thread in threads:
    thread.start()

samples = []
began = time.time()
try:
    while time.time() - began < seconds:
        time.sleep(interval)
        samples.append((time.time() - began, rss_kib(), served))
        print(f"{samples[-1][0]:6.0f} s  RSS {samples[-1][1] / 1024:6.1f} MiB  reviews {samples[-1][2]}", flush=True)
finally:
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    server.terminate()
    server.wait(timeout=15)

warm = samples[len(samples) // 4]
print(f"reviews served: {served} ({served / seconds:.0f}/s), failures: {len(problems)}")
for problem in problems[:10]:
    print("  failure:", problem)
print(f"RSS after warm-up {warm[1] / 1024:.1f} MiB, at the end {samples[-1][1] / 1024:.1f} MiB, "
      f"max {max(s[1] for s in samples) / 1024:.1f} MiB, growth {(samples[-1][1] - warm[1]) / 1024:+.1f} MiB")
sys.exit(1 if problems else 0)
