// k6 load test for sidecar-injector: Pod CREATE reviews over HTTPS, HTTP/1.1 keep-alive, as the
// kube-apiserver sends them. Run against a port-forward or an in-cluster Service:
//
//   kubectl -n sidecar-injector port-forward svc/sidecar-injector 9443:443 &
//   kubectl -n sidecar-injector get secret sidecar-injector-tls -o jsonpath='{.data.ca\.crt}' | base64 -d > ca.crt   (cert-manager; with make-certs.sh use its ca.crt)
//   SSL_CERT_FILE=ca.crt k6 run -e TARGET=https://sidecar-injector.sidecar-injector.svc:9443 -e RESOLVE=127.0.0.1 perf/k6/inject.js
//   k6 run -e INSECURE=1 -e TARGET=https://localhost:9443 perf/k6/inject.js      (the --dev certificate)
//
// Options (environment):
//   TARGET     base URL (default https://localhost:9443)
//   RESOLVE    address to connect to for TARGET's host name, so the certificate's name can be checked
//              through a port-forward (k6 `hosts`)
//   TLS        the certificate is verified against the system roots, or against the CA file named by
//              SSL_CERT_FILE (read by k6's TLS stack); INSECURE=1 skips verification (for --dev only)
//   SCENARIO   `closed` (default): VUS virtual users back to back for DURATION;
//              `apiserver`: what a busy cluster sends: a constant arrival RATE of reviews per second
//              (default 200) for DURATION, every pod distinct (rollouts of many workloads), with the
//              apiserver's ?timeout=10s and a 10 s client timeout
//   VUS, DURATION, RATE, MAX_VUS
//   UNIQUE=1   vary every pod in the closed scenario too (defeats the memo of identical ReplicaSet pods)
//   NOOP=1     hit /noop instead (start the injector with --enable-noop-endpoint): the baseline
//
// The run fails (k6 exits non-zero) when more than 0.1 % of the checks fail: a 200 that carries
// allowed:false, a missing or empty patch, or a wrong uid counts as a failure, not only an HTTP error.
import http from 'k6/http';
import { check } from 'k6';
import encoding from 'k6/encoding';

const target = __ENV.TARGET || 'https://localhost:9443';
const scenario = __ENV.SCENARIO || 'closed';
const noop = __ENV.NOOP === '1';
const unique = scenario === 'apiserver' || __ENV.UNIQUE === '1';
const path = noop ? '/noop' : '/inject?timeout=10s';
const host = target.replace(/^https?:\/\//, '').replace(/[:/].*$/, '');

const scenarios = {
  closed: {
    executor: 'constant-vus',
    vus: Number(__ENV.VUS || 8),
    duration: __ENV.DURATION || '30s',
  },
  apiserver: {
    executor: 'constant-arrival-rate',
    rate: Number(__ENV.RATE || 200),
    timeUnit: '1s',
    duration: __ENV.DURATION || '60s',
    preAllocatedVUs: Number(__ENV.VUS || 16),
    maxVUs: Number(__ENV.MAX_VUS || 64),
  },
};
if (!scenarios[scenario]) {
  throw new Error(`SCENARIO must be closed or apiserver, not '${scenario}'`);
}

export const options = {
  scenarios: { [scenario]: scenarios[scenario] },
  insecureSkipTLSVerify: __ENV.INSECURE === '1',
  tlsVersion: { min: 'tls1.2' },
  hosts: __ENV.RESOLVE ? { [host]: __ENV.RESOLVE } : {},
  // The apiserver speaks HTTP/1.1 to webhooks and keeps connections alive.
  noConnectionReuse: false,
  thresholds: {
    checks: ['rate>0.999'],
    http_req_failed: ['rate<0.001'],
    http_req_duration: ['p(99)<50'],
  },
};
if (scenario === 'apiserver') {
  // An arrival the injector could not keep up with is a pod CREATE that would have waited.
  options.thresholds.dropped_iterations = ['count<1'];
}

const basePod = {
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

// A distinct pod as a cluster's many workloads send them: its own Deployment, ReplicaSet hash,
// namespace, labels, image, ports and a few env vars, so no two reviews share their bytes.
function distinctPod(n) {
  const pod = JSON.parse(JSON.stringify(basePod));
  const app = `app-${n % 997}`;
  const hash = (n * 2654435761 >>> 0).toString(16).slice(0, 9);
  const ns = `team-${n % 31}`;
  pod.metadata.generateName = `${app}-${hash}-`;
  pod.metadata.namespace = ns;
  pod.metadata.labels = { app, version: `v${n % 5}`, 'pod-template-hash': hash, 'load-test-id': `${__VU}-${n}` };
  pod.metadata.ownerReferences[0].name = `${app}-${hash}`;
  pod.metadata.ownerReferences[0].uid = `5e1f0c1a-2b3c-4d5e-8f90-${(n % 1e12).toString().padStart(12, '0')}`;
  const c = pod.spec.containers[0];
  c.name = app;
  c.image = `registry.example.com/${app}:${n % 50}`;
  c.ports = [{ name: 'http', containerPort: 8000 + (n % 1000), protocol: 'TCP' }];
  c.env = Array.from({ length: 1 + (n % 8) }, (_, i) => ({ name: `SETTING_${i}`, value: `${n}-${i}` }));
  return { pod, ns };
}

function review(uid, object, ns) {
  return JSON.stringify({
    kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      namespace: ns, operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object, oldObject: null, dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  });
}

let iteration = 0;
export default function () {
  iteration++;
  const n = __VU * 1000003 + iteration;
  const uid = `${__VU}-${iteration}-${Date.now()}`;
  const { pod, ns } = unique ? distinctPod(n) : { pod: basePod, ns: 'shop' };
  const res = http.post(`${target}${path}`, review(uid, pod, ns), {
    // Accept-Encoding as the apiserver's Go client sends it; k6 reads gzip answers back itself.
    headers: { 'Content-Type': 'application/json', 'Accept-Encoding': 'gzip' },
    timeout: '10s',
  });
  check(res, {
    'status 200': (r) => r.status === 200,
    'same uid': (r) => noop || r.json('response.uid') === uid,
    'allowed': (r) => r.json('response.allowed') === true,
    'patched': (r) => noop || r.json('response.patchType') === 'JSONPatch',
    'valid patch': (r) => noop || JSON.parse(encoding.b64decode(r.json('response.patch'), 'std', 's')).length > 0,
  });
}
