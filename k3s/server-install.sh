#!/bin/bash
# Installs the K3s server for a SmartScale cluster and publishes the worker
# join token to SSM as a SecureString, so workers read it with their
# instance role and the token never sits in user data or a launch template.
# Usage: sudo ./server-install.sh <cluster-id> <k3s-version> [ssm-parameter-name]
set -euo pipefail

CLUSTER_ID=${1:?usage: server-install.sh <cluster-id> <k3s-version> [ssm-parameter-name]}
K3S_VERSION=${2:?usage: server-install.sh <cluster-id> <k3s-version> [ssm-parameter-name]}
PARAMETER=${3:-/smartscale/$CLUSTER_ID/join-token}

command -v aws >/dev/null || { echo "server-install: the AWS CLI is required" >&2; exit 1; }

curl -sfL https://get.k3s.io -o /tmp/k3s-install.sh
# The server keeps its own workloads off (taint) so SmartScale's workers
# carry the application and scale-down never touches the control plane.
INSTALL_K3S_VERSION="$K3S_VERSION" sh /tmp/k3s-install.sh server \
  --node-taint "node-role.kubernetes.io/control-plane=true:NoSchedule" \
  --node-label "smartscale.io/cluster=$CLUSTER_ID" \
  --write-kubeconfig-mode 600

for _ in $(seq 1 60); do
  [ -s /var/lib/rancher/k3s/server/node-token ] && break
  sleep 2
done
[ -s /var/lib/rancher/k3s/server/node-token ] || { echo "server-install: no node token after 2 minutes" >&2; exit 1; }

TOKEN_FILE=/var/lib/rancher/k3s/server/node-token
aws ssm put-parameter --name "$PARAMETER" --type SecureString --overwrite \
  --value "file://$TOKEN_FILE" >/dev/null
echo "server-install: K3s $K3S_VERSION running; join token stored in SSM parameter $PARAMETER"
echo "server-install: next, apply k3s/manifests/ (kubectl apply -f k3s/manifests/)"
