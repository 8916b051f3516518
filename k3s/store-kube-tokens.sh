#!/usr/bin/env bash
# Issues a bound ServiceAccount token (TokenRequest, `kubectl create token`)
# for each SmartScale Kubernetes identity and stores it in that identity's
# SSM SecureString, so each function reads only its own (issue #21):
#   smartscale-reader         -> /<prefix>/k3s/reader-token         sampler, spot-listener
#   smartscale-join-verifier  -> /<prefix>/k3s/join-verifier-token  join-verifier
#   smartscale                -> /<prefix>/k3s/autoscaler-token     drainer, reconciler
# server-install.sh installs it with a systemd timer that runs it every 6
# hours (smartscale-kube-tokens.timer); run it by hand to rotate at once
# (docs/deploy.md, "Kubernetes tokens"). A token stays valid until it
# expires; the functions read the parameter again before their token
# expires, or when the API server refuses it, so nothing is redeployed.
#
# Usage: store-kube-tokens.sh <prefix> [duration]
#   prefix    e.g. smartscale-production (the SSM path prefix of the stage)
#   duration  token lifetime for kubectl create token (default 24h; at least
#             10m; longer than the timer's 6 hours with room for failed runs)
# Uses kubectl (KUBECONFIG of a cluster admin) and the AWS CLI.
set -euo pipefail

prefix=${1:-}
duration=${2:-24h}
if [[ ! $prefix =~ ^[A-Za-z0-9_.-]+$ ]]; then
  echo "usage: $0 <prefix> [duration]; prefix is the stage's parameter prefix, e.g. smartscale-production, got '${prefix}'" >&2
  exit 2
fi
if [[ ! $duration =~ ^[0-9]+[hms]$ ]]; then
  echo "duration '${duration}' is invalid: expected a number with h, m or s, e.g. 24h" >&2
  exit 2
fi

# The token goes through a 0600 file, never a command line (ps shows those).
umask 077
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

store() {
  local account=$1 path=$2
  kubectl -n smartscale-system create token "$account" --duration="$duration" |
    tr -d '\n' >"$workdir/token"
  if [[ ! -s $workdir/token ]]; then
    echo "kubectl returned no token for smartscale-system/$account: is k3s/manifests/rbac-autoscaler.yaml applied?" >&2
    exit 1
  fi
  aws ssm put-parameter --overwrite --type SecureString \
    --name "/$prefix/k3s/$path" --value "file://$workdir/token" >/dev/null
  echo "stored a ${duration} token of smartscale-system/$account in /$prefix/k3s/$path"
}

store smartscale-reader reader-token
store smartscale-join-verifier join-verifier-token
store smartscale autoscaler-token
