// k6 load test for sidecar-injector: Pod CREATE reviews over HTTPS, HTTP/1.1 keep-alive, as the
// kube-apiserver sends them. Run against a port-forward or an in-cluster Service:
//
//   kubectl -n sidecar-injector port-forward svc/sidecar-injector 9443:443 &
//   k6 run -e TARGET=https://localhost:9443 perf/k6/inject.js
//
// Options (environment): TARGET (base URL), VUS (default 8), DURATION (default 30s),
// UNIQUE=1 to vary every pod (defeats the injector's memo of identical ReplicaSet pods),
// NOOP=1 to hit /noop instead (start the injector with --enable-noop-endpoint): the baseline.
import http from 'k6/http';
import { check } from 'k6';
import encoding from 'k6/encoding';

const target = __ENV.TARGET || 'https://localhost:9443';
const unique = __ENV.UNIQUE === '1';
const path = __ENV.NOOP === '1' ? '/noop' : '/inject?timeout=10s';

export const options = {
  vus: Number(__ENV.VUS || 8),
  duration: __ENV.DURATION || '30s',
  insecureSkipTLSVerify: true,
  // The apiserver speaks HTTP/1.1 to webhooks and keeps connections alive.
  noConnectionReuse: false,
  thresholds: {
    http_req_failed: ['rate<0.001'],
    http_req_duration: ['p(99)<50'],
  },
};

const pod = {
  kind: 'Pod', apiVersion: 'v1',
  metadata: {
    generateName: 'reviews-v1-6f9c7d8b5-', namespace: 'shop', creationTimestamp: null,
    labels: { app: 'reviews', version: 'v1', 'pod-template-hash': '6f9c7d8b5' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'reviews-v1-6f9c7d8b5',
      uid: '5e1f0c1a-2b3c-4d5e-8f90-a1b2c3d4e5f6', controller: true, blockOwnerDeletion: true }],
  },
  spec: {
    volumes: [{ name: 'kube-api-access-7xkqp', projected: { sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }], defaultMode: 420 } }],
    containers: [{ name: 'reviews', image: 'docker.io/istio/examples-bookinfo-reviews-v1:1.20.2',
      ports: [{ name: 'http', containerPort: 9080, protocol: 'TCP' }],
      resources: { requests: { cpu: '100m', memory: '128Mi' } },
      volumeMounts: [{ name: 'kube-api-access-7xkqp', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
      terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }],
    restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'default', securityContext: {}, schedulerName: 'default-scheduler',
    enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority', priority: 0,
  },
  status: {},
};

function review(i) {
  const object = unique ? JSON.parse(JSON.stringify(pod)) : pod;
  if (unique) object.metadata.labels['load-test-id'] = `${__VU}-${i}`;
  return JSON.stringify({
    kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1',
    request: {
      uid: `${__VU}-${i}-${Date.now()}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'shop', operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object, oldObject: null, dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  });
}

let iteration = 0;
export default function () {
  iteration++;
  const res = http.post(`${target}${path}`, review(iteration), { headers: { 'Content-Type': 'application/json' } });
  check(res, {
    'status 200': (r) => r.status === 200,
    'allowed': (r) => r.json('response.allowed') === true,
    'patched': (r) => __ENV.NOOP === '1' || r.json('response.patchType') === 'JSONPatch',
    'valid patch': (r) => __ENV.NOOP === '1' || JSON.parse(encoding.b64decode(r.json('response.patch'), 'std', 's')).length > 0,
  });
}
