#!/usr/bin/env python3
"""A minimal stand-in kube-apiserver for the native smoke test: what the binary's cluster features
ask of it, over TLS. Namespaces, one node and one MutatingWebhookConfiguration, listed; watches held open;
a JSON patch of the webhook configuration recorded in PATCH_FILE and answered with the object;
for check-inject, the pod demo/web and the namespace demo by name (a ConfigMap: 404, as when absent).
(The test suite's StandInApiServer is the faithful one; this proves the AOT binary's client works.)

Usage: stand-in-apiserver.py PORT CERT KEY PATCH_FILE
"""
import json
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, cert, key, patch_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": "demo", "resourceVersion": "5", "creationTimestamp": "2026-11-28T10:00:00Z",
                          "labels": {"kubernetes.io/metadata.name": "demo", "sidecar-injection": "enabled"},
                          "annotations": {"openshift.io/sa.scc.uid-range": "1000620000/10000"}}}
WEBHOOKS = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "sidecar-injector", "resourceVersion": "6", "labels": {"app.kubernetes.io/name": "sidecar-injector"}},
            "webhooks": [{"name": "sidecar-injector.sidecar-injector.svc", "sideEffects": "None", "admissionReviewVersions": ["v1"],
                          "namespaceSelector": {"matchLabels": {"sidecar-injection": "enabled"}},
                          "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
                          "clientConfig": {"service": {"name": "sidecar-injector", "namespace": "sidecar-injector", "path": "/inject"}}}]}
NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "resourceVersion": "4"},
        "status": {"nodeInfo": {"kubeletVersion": "v1.34.2"}}}
POD = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "web", "namespace": "demo", "uid": "0b4f6a2e-1d7c-4d53-9a53-2f0c8f0d9b11", "labels": {"app": "web"}},
       "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]}]}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.headers.get("Authorization") != "Bearer smoke-token":
            return self.send(401, {"kind": "Status", "code": 401, "message": "Unauthorized"})
        if "watch=1" in self.path:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            time.sleep(30)
            return
        path = self.path.split("?")[0]
        if path == "/api/v1/namespaces/demo/pods/web":
            return self.send(200, POD)
        if path == "/api/v1/namespaces/demo":
            return self.send(200, NAMESPACE)
        if "/configmaps/" in path:
            return self.send(404, {"kind": "Status", "code": 404, "reason": "NotFound", "message": "configmaps not found"})
        items = [NAMESPACE] if self.path.startswith("/api/v1/namespaces") else [NODE] if self.path.startswith("/api/v1/nodes") else [WEBHOOKS]
        self.send(200, {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "7"}, "items": items})

    def do_PATCH(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ops = json.loads(body)
        with open(patch_file, "w") as out:
            json.dump({"contentType": self.headers.get("Content-Type"), "patch": ops}, out)
        for op in ops:
            if op["op"] == "add" and op["path"].endswith("/clientConfig/caBundle"):
                WEBHOOKS["webhooks"][int(op["path"].split("/")[2])]["clientConfig"]["caBundle"] = op["value"]
        self.send(200, WEBHOOKS)


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
server.daemon_threads = True
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
