#!/usr/bin/env bash
# Makes a self-signed CA and a serving certificate for the webhook Service, stores them in the
# sidecar-injector-tls Secret (SERVICE and SECRET name another revision's: deploy/revisions/canary), and (with --patch-ca-bundle) writes the CA into the
# MutatingWebhookConfiguration's caBundle. For clusters without cert-manager.
#
#   ./make-certs.sh                    create the namespace (if needed) and the Secret
#   ./make-certs.sh --patch-ca-bundle  after `kubectl apply -k deploy/self-signed/`
#
# Re-running rotates the serving certificate; the injector picks it up without a restart.
# The CA's private key is kept outside the repository (CERT_DIR, default
# ~/.local/state/sidecar-injector/certs, readable by you alone), so it can never be committed.
set -euo pipefail
namespace=${NAMESPACE:-sidecar-injector}
service=${SERVICE:-sidecar-injector}
secret=${SECRET:-sidecar-injector-tls}
webhook=${WEBHOOK_CONFIGURATION:-sidecar-injector}
dir=${CERT_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/sidecar-injector/certs}
umask 077
mkdir -p "$dir"
days=${DAYS:-365}

if [[ ! -f $dir/ca.key ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=${service}-ca" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
fi

if [[ ${1:-} == --patch-ca-bundle ]]; then
  bundle=$(base64 < "$dir/ca.crt" | tr -d '\n')
  count=$(kubectl get mutatingwebhookconfiguration "$webhook" -o jsonpath='{range .webhooks[*]}x{end}' | wc -c)
  patch="["
  for ((i = 0; i < count; i++)); do
    ((i > 0)) && patch+=","
    # "add" sets the field whether or not it exists (the manifest leaves caBundle out).
    patch+="{\"op\":\"add\",\"path\":\"/webhooks/$i/clientConfig/caBundle\",\"value\":\"$bundle\"}"
  done
  patch+="]"
  kubectl patch mutatingwebhookconfiguration "$webhook" --type=json -p "$patch"
  echo "caBundle of $webhook set from $dir/ca.crt"
  exit 0
fi

openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=${service}.${namespace}.svc" \
  -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s.%s.svc,DNS:%s.%s.svc.cluster.local\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' \
  "$service" "$namespace" "$service" "$namespace" > "$dir/ext"
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
  -days "$days" -extfile "$dir/ext" -out "$dir/tls.crt" 2>/dev/null

kubectl get namespace "$namespace" > /dev/null 2>&1 || kubectl create namespace "$namespace"
# ca.crt beside the key pair, as cert-manager writes it: the injector keeps its webhook's caBundle equal to it.
kubectl -n "$namespace" create secret generic "$secret" --type=kubernetes.io/tls \
  --from-file=tls.crt="$dir/tls.crt" --from-file=tls.key="$dir/tls.key" --from-file=ca.crt="$dir/ca.crt" \
  --dry-run=client -o yaml | kubectl apply -f -
echo "Secret $namespace/$secret written; CA and keys are in $dir (keep ca.key private)"
