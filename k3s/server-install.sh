#!/bin/bash
# Installs the K3s server for a SmartScale cluster and publishes an
# AGENT-ONLY join token to SSM as a SecureString, so workers read it with
# their instance role and the token never sits in user data or a launch
# template.
#
# Why not the server's node-token: that token joins servers too and unlocks
# the cluster's bootstrap data (CA keys, secrets encryption); every worker,
# hostNetwork pod and anything launched with the worker profile can read the
# parameter. The agent token (K3s --agent-token) only joins agents.
#
# Usage: sudo ./server-install.sh <cluster-id> <k3s-version> [ssm-parameter-name]
# Environment:
#   SMARTSCALE_K3S_SHA256          SHA-256 of the release's k3s binary   } both required unless
#   SMARTSCALE_K3S_INSTALL_SHA256  SHA-256 of install.sh at that tag     } the installer is local
#                                  (docs/deploy.md, "K3s version and checksums")
#   SMARTSCALE_K3S_INSTALLER  a local K3s install script, for images that
#                             bake K3s in (and tests); nothing is downloaded
#   SMARTSCALE_K3S_DATA_DIR   K3s data dir (default /var/lib/rancher/k3s)
#   SMARTSCALE_K3S_CONFIG_DIR where the agent token file lives (default /etc/rancher/k3s)
#   SMARTSCALE_PARAMETER_PREFIX  the stage's SSM prefix for the Kubernetes tokens
#                             (default: <prefix> of a join-token parameter /<prefix>/k3s/join-token)
#   SMARTSCALE_SYSTEMD_DIR    where the token rotation's units go (default /etc/systemd/system)
#   SMARTSCALE_LIB_DIR        where store-kube-tokens.sh is installed (default /usr/local/lib/smartscale)
#   SMARTSCALE_SYSTEMCTL      the systemctl to enable the timer with (default systemctl; tests)
# Rotating the agent token: docs/deploy.md, "Join token".
#
# It also installs the rotation of the functions' Kubernetes tokens (issue
# #21): a systemd timer that every 6 hours stores a fresh 24-hour token of
# each SmartScale identity in SSM (store-kube-tokens.sh). The functions read
# a token again before it expires or when it is refused, so nothing is
# redeployed; the doctor warns when a stored token has under 12 hours left.
set -euo pipefail

usage='usage: server-install.sh <cluster-id> <k3s-version> [ssm-parameter-name]'
CLUSTER_ID=${1:?$usage}
K3S_VERSION=${2:?$usage}
PARAMETER=${3:-/smartscale/$CLUSTER_ID/join-token}
DATA_DIR=${SMARTSCALE_K3S_DATA_DIR:-/var/lib/rancher/k3s}
CONFIG_DIR=${SMARTSCALE_K3S_CONFIG_DIR:-/etc/rancher/k3s}
AGENT_TOKEN_FILE=$CONFIG_DIR/agent-token
# K3s writes the agent token here in its secure form (K10<CA hash>::node:<secret>),
# so a joining worker also checks it talks to this cluster's server.
PUBLISHED_TOKEN=$DATA_DIR/server/agent-token

fail() {
  echo "server-install: $*" >&2
  exit 1
}

[[ $CLUSTER_ID =~ ^[A-Za-z0-9-]{1,40}$ ]] || fail "cluster-id '$CLUSTER_ID' is invalid: expected 1-40 letters, digits or '-'"
[[ $K3S_VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+\+k3s[0-9]+$ ]] || fail "k3s-version '$K3S_VERSION' is invalid: expected a K3s release like v1.35.4+k3s1"
[[ $PARAMETER =~ ^/[A-Za-z0-9/_.-]+$ ]] || fail "ssm-parameter-name '$PARAMETER' is invalid: expected an SSM parameter name like /smartscale-prod/k3s/join-token"
TOKEN_PREFIX=${SMARTSCALE_PARAMETER_PREFIX:-}
if [ -z "$TOKEN_PREFIX" ] && [[ $PARAMETER =~ ^/([A-Za-z0-9_.-]+)/k3s/join-token$ ]]; then
  TOKEN_PREFIX=${BASH_REMATCH[1]}
fi
[[ $TOKEN_PREFIX =~ ^[A-Za-z0-9_.-]+$ ]] ||
  fail "no SSM prefix for the Kubernetes tokens: pass the join token parameter as /<prefix>/k3s/join-token (e.g. /smartscale-production/k3s/join-token) or set SMARTSCALE_PARAMETER_PREFIX (e.g. smartscale-production), got '$TOKEN_PREFIX'"
command -v aws >/dev/null || fail "the AWS CLI is required"

# Tokens and the files they live in are readable by root only.
umask 077
mkdir -p "$CONFIG_DIR"
if [ ! -s "$AGENT_TOKEN_FILE" ]; then
  # 32 random bytes as hex; kept across re-runs so joined agents stay valid.
  od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$AGENT_TOKEN_FILE"
fi

installer=${SMARTSCALE_K3S_INSTALLER:-}
skip_download=false
if [ -z "$installer" ]; then
  # The pinned release only, each file checked against its pinned SHA-256
  # (fetch-k3s.sh); the installer then installs that binary.
  : "${SMARTSCALE_K3S_SHA256:?set it to the SHA-256 of the k3s binary of $K3S_VERSION (docs/deploy.md, K3s version and checksums)}"
  : "${SMARTSCALE_K3S_INSTALL_SHA256:?set it to the SHA-256 of install.sh at $K3S_VERSION (docs/deploy.md, K3s version and checksums)}"
  # Checked on its own (shellcheck.test.ts checks every k3s/*.sh).
  # shellcheck disable=SC1091
  . "$(dirname "${BASH_SOURCE[0]}")/fetch-k3s.sh"
  installer=$(mktemp)
  trap 'rm -f "$installer"' EXIT
  fetch_k3s "$K3S_VERSION" "$SMARTSCALE_K3S_SHA256" "$SMARTSCALE_K3S_INSTALL_SHA256" "$installer" ||
    fail "K3s $K3S_VERSION could not be fetched and verified (see above)"
  skip_download=true
fi
# The server keeps its own workloads off (taint) so SmartScale's workers
# carry the application and scale-down never touches the control plane.
# The agent token goes by file, never on a command line (ps shows those).
INSTALL_K3S_SKIP_DOWNLOAD=$skip_download INSTALL_K3S_VERSION="$K3S_VERSION" sh "$installer" server \
  --agent-token-file "$AGENT_TOKEN_FILE" \
  --node-taint "node-role.kubernetes.io/control-plane=true:NoSchedule" \
  --node-label "smartscale.io/cluster=$CLUSTER_ID" \
  --write-kubeconfig-mode 600 ||
  fail "the K3s install failed"

for _ in $(seq 1 60); do
  [ -s "$PUBLISHED_TOKEN" ] && break
  sleep 2
done
[ -s "$PUBLISHED_TOKEN" ] || fail "no agent token at $PUBLISHED_TOKEN after 2 minutes"
# Refuse to publish anything that could join a server: the agent token must
# end with our agent secret and must not be the server token.
agent_token=$(cat "$PUBLISHED_TOKEN")
[[ $agent_token == *"::node:$(cat "$AGENT_TOKEN_FILE")" ]] ||
  fail "$PUBLISHED_TOKEN does not carry the agent secret of $AGENT_TOKEN_FILE: not publishing it"
if [ -s "$DATA_DIR/server/token" ] && [ "$agent_token" = "$(cat "$DATA_DIR/server/token")" ]; then
  fail "the agent token equals the server token: not publishing a token that joins servers"
fi

aws ssm put-parameter --name "$PARAMETER" --type SecureString --overwrite \
  --value "file://$PUBLISHED_TOKEN" >/dev/null || fail "cannot write SSM parameter $PARAMETER"
echo "server-install: K3s $K3S_VERSION running; agent-only join token stored in SSM parameter $PARAMETER"

# The Kubernetes tokens' rotation: a oneshot service running
# store-kube-tokens.sh with the server's admin kubeconfig, and a timer
# starting it a minute after boot (or install) and every 6 hours. Until
# k3s/manifests/rbac-autoscaler.yaml is applied it fails and retries every 5
# minutes (Restart=on-failure, no start limit), so the first tokens land
# minutes after the manifests do. 24-hour tokens refreshed every 6 hours:
# two failed runs in a row still leave 12 hours to notice (the doctor warns).
SYSTEMD_DIR=${SMARTSCALE_SYSTEMD_DIR:-/etc/systemd/system}
LIB_DIR=${SMARTSCALE_LIB_DIR:-/usr/local/lib/smartscale}
mkdir -p "$SYSTEMD_DIR" "$LIB_DIR"
install -m 0755 "$(dirname "${BASH_SOURCE[0]}")/store-kube-tokens.sh" "$LIB_DIR/store-kube-tokens.sh"
region_line=''
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
if [ -n "$region" ]; then region_line="Environment=AWS_DEFAULT_REGION=$region"; fi
umask 022
cat >"$SYSTEMD_DIR/smartscale-kube-tokens.service" <<UNIT
[Unit]
Description=SmartScale: store fresh 24-hour Kubernetes tokens in SSM under /$TOKEN_PREFIX/k3s/ (docs/deploy.md, Kubernetes tokens)
After=k3s.service network-online.target
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
Type=oneshot
Environment=KUBECONFIG=$CONFIG_DIR/k3s.yaml
Environment=PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin
$region_line
ExecStart=$LIB_DIR/store-kube-tokens.sh $TOKEN_PREFIX 24h
Restart=on-failure
RestartSec=5min
UNIT
cat >"$SYSTEMD_DIR/smartscale-kube-tokens.timer" <<'UNIT'
[Unit]
Description=SmartScale: rotate the Kubernetes tokens every 6 hours

[Timer]
OnActiveSec=1min
OnUnitActiveSec=6h
RandomizedDelaySec=5min

[Install]
WantedBy=timers.target
UNIT
systemctl=${SMARTSCALE_SYSTEMCTL:-systemctl}
"$systemctl" daemon-reload || fail "systemctl daemon-reload failed"
"$systemctl" enable --now smartscale-kube-tokens.timer || fail "cannot enable smartscale-kube-tokens.timer"
echo "server-install: Kubernetes tokens rotate every 6 hours (smartscale-kube-tokens.timer) into /$TOKEN_PREFIX/k3s/"
echo "server-install: next, apply k3s/manifests/ (kubectl apply -f k3s/manifests/); the first tokens are stored within minutes (or now: systemctl start smartscale-kube-tokens.service)"
