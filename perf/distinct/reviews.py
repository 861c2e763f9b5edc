#!/usr/bin/env python3
"""Writes N distinct, realistic Pod CREATE AdmissionReviews, one JSON document per line.

What a busy apiserver sends: pods of many workloads (Deployments through their ReplicaSets, Jobs,
StatefulSets), each pod of a workload differing from its siblings in name, uid and token volume as
real ones do; a share of pods with 2,000 env vars (Istio's benchmark shape). Seeded: the same
arguments give the same file.

Usage: perf/distinct/reviews.py OUT N [--workloads W] [--large-share 0.02] [--seed 1]
"""
import argparse
import json
import random
import string
import uuid


def words(rng, n):
    return "-".join(rng.choice(["api", "web", "cart", "auth", "search", "orders", "billing", "mail", "feed", "queue",
                                "worker", "gateway", "profile", "media", "report", "index", "sync", "edge"]) for _ in range(n))


def suffix(rng, n):
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def workload(rng, index, large):
    name = f"{words(rng, 2)}-{index}"
    kind = rng.choices(["Deployment", "Job", "StatefulSet"], weights=[8, 1, 1])[0]
    containers = []
    for c in range(rng.choice([1, 1, 1, 2, 3])):
        cname = name if c == 0 else rng.choice(["sidecar-log", "metrics", "cache", "proxy-helper"]) + str(c)
        port = rng.choice([80, 8080, 8443, 3000, 5000, 9000]) + c
        container = {
            "name": cname,
            "image": f"registry.example.com/{name}:{rng.randint(1, 40)}.{rng.randint(0, 9)}",
            "ports": [{"name": "http" if c == 0 else f"p{c}", "containerPort": port, "protocol": "TCP"}],
            "env": [{"name": f"SETTING_{k}", "value": suffix(rng, 12)} for k in range(rng.randint(0, 8))],
            "resources": {"requests": {"cpu": f"{rng.choice([50, 100, 250, 500])}m", "memory": f"{rng.choice([64, 128, 256, 512])}Mi"},
                          "limits": {"cpu": f"{rng.choice([1, 2])}", "memory": f"{rng.choice([256, 512, 1024])}Mi"}},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "imagePullPolicy": "IfNotPresent",
        }
        if c == 0 and rng.random() < 0.7:
            container["readinessProbe"] = {"httpGet": {"path": "/ready", "port": port, "scheme": "HTTP"},
                                           "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}
            container["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
                                          "initialDelaySeconds": 5, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}
        if large and c == 0:
            container["env"] = [{"name": f"VAR_{k}", "value": f"value-{k}"} for k in range(2000)]
        containers.append(container)
    labels = {"app": name, "version": f"v{rng.randint(1, 5)}"}
    annotations = {}
    if rng.random() < 0.3:
        annotations["prometheus.io/scrape"] = "true"
        annotations["prometheus.io/port"] = str(containers[0]["ports"][0]["containerPort"])
    if rng.random() < 0.1:
        annotations["sidecar.istio.io/proxyCPU"] = "200m"
    return {"name": name, "kind": kind, "labels": labels, "annotations": annotations, "containers": containers,
            "hash": suffix(rng, 10), "namespace": f"team-{rng.randint(1, 40)}"}


def pod(rng, w):
    uid = str(uuid.UUID(int=rng.getrandbits(128)))
    if w["kind"] == "Deployment":
        owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{w['name']}-{w['hash']}"}
        generate = f"{w['name']}-{w['hash']}-"
        labels = dict(w["labels"], **{"pod-template-hash": w["hash"]})
    elif w["kind"] == "Job":
        owner = {"apiVersion": "batch/v1", "kind": "Job", "name": f"{w['name']}-{rng.randint(28000000, 29000000)}"}
        generate = owner["name"] + "-"
        labels = dict(w["labels"], **{"job-name": owner["name"], "batch.kubernetes.io/job-name": owner["name"]})
    else:
        owner = {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": w["name"]}
        generate = ""
        labels = dict(w["labels"], **{"statefulset.kubernetes.io/pod-name": f"{w['name']}-{rng.randint(0, 9)}"})
    owner.update({"uid": str(uuid.UUID(int=rng.getrandbits(128))), "controller": True, "blockOwnerDeletion": True})
    token = f"kube-api-access-{suffix(rng, 5)}"
    containers = json.loads(json.dumps(w["containers"]))
    for c in containers:
        c["volumeMounts"] = [{"name": token, "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
    metadata = {"namespace": w["namespace"], "labels": labels, "ownerReferences": [owner]}
    if generate:
        metadata["generateName"] = generate
    else:
        metadata["name"] = labels["statefulset.kubernetes.io/pod-name"]
    if w["annotations"]:
        metadata["annotations"] = w["annotations"]
    spec = {
        "volumes": [{"name": token, "projected": {"sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}],
            "defaultMode": 420}}],
        "containers": containers,
        "restartPolicy": "Never" if w["kind"] == "Job" else "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default",
        "serviceAccount": "default",
        "securityContext": {},
        "schedulerName": "default-scheduler",
        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
        "priority": 0,
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
    }
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
            "requestResource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": w["namespace"],
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller",
                         "uid": "8e1f6c1c-8f3a-4b1e-9a53-1d1c7a0e0c11",
                         "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]},
            "object": {"kind": "Pod", "apiVersion": "v1", "metadata": metadata, "spec": spec, "status": {}},
            "oldObject": None,
            "dryRun": False,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
        },
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("n", type=int)
    parser.add_argument("--workloads", type=int, default=0, help="distinct workloads (default: n / 5)")
    parser.add_argument("--large-share", type=float, default=0.02, help="share of pods with 2,000 env vars")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    count = args.workloads or max(1, args.n // 5)
    large = set(rng.sample(range(count), max(0, round(count * args.large_share))))
    workloads = [workload(rng, i, i in large) for i in range(count)]
    with open(args.out, "w") as out:
        for i in range(args.n):
            # Pods of a workload arrive close together, as in a rollout, but not only one workload at a time.
            w = workloads[(i // 3 + (i % 3) * 7) % count]
            out.write(json.dumps(pod(rng, w), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
