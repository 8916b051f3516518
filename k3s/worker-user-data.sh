#!/bin/bash
# SmartScale worker user data: joins this EC2 instance to the K3s cluster.
# Rendered into the launch template with SMARTSCALE_* values filled in.
# Requires IMDSv2 and an instance role allowed ssm:GetParameter on the
# join-token parameter (and kms:Decrypt on its key); that token is the
# agent-only token k3s/server-install.sh publishes (it joins agents, never
# servers). Fails loudly: the join verifier terminates a worker that does
# not become Ready in time, and this log says why.
set -euo pipefail

: "${SMARTSCALE_CLUSTER_ID:?set by the launch template}"
: "${SMARTSCALE_SERVER_URL:?set by the launch template, e.g. https://10.0.1.10:6443}"
: "${SMARTSCALE_JOIN_TOKEN_PARAMETER:?set by the launch template}"
: "${SMARTSCALE_K3S_VERSION:?set by the launch template, e.g. v1.35.4+k3s1}"
: "${SMARTSCALE_K3S_SHA256:?set by the launch template: SHA-256 of the k3s binary of the release}"
: "${SMARTSCALE_K3S_INSTALL_SHA256:?set by the launch template: SHA-256 of install.sh at that tag}"

LOG=/var/log/smartscale-join.log
exec > >(tee -a "$LOG") 2>&1

fail() {
  echo "smartscale-join: FAILED: $*" >&2
  exit 1
}
trap 'fail "line $LINENO exited with status $?"' ERR

imds() {
  local path=$1 token
  token=$(curl -sS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token) \
    || fail "IMDSv2 token request refused (is the metadata endpoint enabled?)"
  curl -sS -f -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/$path" \
    || fail "IMDS read of $path failed"
}

INSTANCE_ID=$(imds meta-data/instance-id)
ZONE=$(imds meta-data/placement/availability-zone)
REGION=$(imds meta-data/placement/region)
INSTANCE_TYPE=$(imds meta-data/instance-type)
if imds meta-data/instance-life-cycle | grep -q spot; then
  CAPACITY_TYPE=spot
else
  CAPACITY_TYPE=on-demand
fi

echo "smartscale-join: $INSTANCE_ID ($INSTANCE_TYPE, $CAPACITY_TYPE, $ZONE) joining $SMARTSCALE_SERVER_URL"

command -v aws >/dev/null || fail "the AWS CLI is required on the worker image to read the join token"
K3S_TOKEN=$(aws ssm get-parameter --region "$REGION" --with-decryption \
  --name "$SMARTSCALE_JOIN_TOKEN_PARAMETER" --query Parameter.Value --output text) \
  || fail "cannot read $SMARTSCALE_JOIN_TOKEN_PARAMETER from SSM (instance role needs ssm:GetParameter)"
[ -n "$K3S_TOKEN" ] || fail "join token parameter $SMARTSCALE_JOIN_TOKEN_PARAMETER is empty"

# The pinned release only: the k3s binary and the install script at its tag,
# each kept only when it matches the SHA-256 written into this template
# (fetch_k3s, from k3s/fetch-k3s.sh, is written in above). The installer
# then installs that binary, never downloading one of its own.
fetch_k3s "$SMARTSCALE_K3S_VERSION" "$SMARTSCALE_K3S_SHA256" "$SMARTSCALE_K3S_INSTALL_SHA256" /tmp/k3s-install.sh \
  || fail "K3s $SMARTSCALE_K3S_VERSION could not be fetched and verified (see above)"
# The taints every worker carries (the policy's instance.taints, written into
# the template as SMARTSCALE_NODE_TAINTS): set at registration, so no pod that
# does not tolerate them is ever scheduled here, even for a moment.
TAINT_ARGS=()
IFS=',' read -r -a NODE_TAINTS <<<"${SMARTSCALE_NODE_TAINTS:-}"
for taint in "${NODE_TAINTS[@]+"${NODE_TAINTS[@]}"}"; do
  if [ -n "$taint" ]; then TAINT_ARGS+=(--node-taint "$taint"); fi
done
INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_VERSION="$SMARTSCALE_K3S_VERSION" \
  K3S_URL="$SMARTSCALE_SERVER_URL" K3S_TOKEN="$K3S_TOKEN" \
  sh /tmp/k3s-install.sh agent \
  --node-name "$INSTANCE_ID" \
  --kubelet-arg "provider-id=aws:///$ZONE/$INSTANCE_ID" \
  --node-label "topology.kubernetes.io/zone=$ZONE" \
  --node-label "node.kubernetes.io/instance-type=$INSTANCE_TYPE" \
  --node-label "smartscale.io/capacity-type=$CAPACITY_TYPE" \
  --node-label "smartscale.io/managed=true" \
  --node-label "smartscale.io/cluster=$SMARTSCALE_CLUSTER_ID" \
  "${TAINT_ARGS[@]+"${TAINT_ARGS[@]}"}" \
  || fail "k3s agent install failed"
unset K3S_TOKEN

for _ in $(seq 1 60); do
  if systemctl is-active --quiet k3s-agent; then
    echo "smartscale-join: k3s-agent is running; the join verifier checks Ready from the API server"
    exit 0
  fi
  sleep 5
done
fail "k3s-agent did not become active within 5 minutes (journalctl -u k3s-agent)"
