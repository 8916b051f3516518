#!/bin/bash
# Creates the SmartScale workers' launch template from
# worker-launch-template.json and worker-user-data.sh (next to this script):
# IMDSv2 only (hop limit 1), an encrypted gp3 root volume, the workers'
# instance profile and security group, and the user data with this cluster's
# values written in. Prints the template id (SMARTSCALE_LAUNCH_TEMPLATE_ID).
#
# No public IP: the template names no network interface, because the
# provisioner picks the subnet per launch; workers get a public address only
# if their subnet hands one out, so use private subnets
# (MapPublicIpOnLaunch=false). `sst deploy` refuses subnets that do.
#
# Needs the AWS CLI with credentials allowed ec2:DescribeImages and
# ec2:CreateLaunchTemplate (and ec2:CreateTags on the template).
set -euo pipefail

usage='usage: create-launch-template.sh <template-name> <ami-id> <instance-type> <instance-profile-name> <security-group-id> <cluster-id> <server-url> <join-token-parameter> <k3s-version> <k3s-sha256> <installer-sha256> [<node-taints>]
  e.g.  create-launch-template.sh smartscale-prod-workers ami-0abc... t3.medium smartscale-worker sg-0abc... prod-eu https://10.0.1.10:6443 /smartscale-prod/k3s/join-token v1.35.4+k3s1 <sha256 of k3s> <sha256 of install.sh>
  (the two digests: docs/deploy.md, "K3s version and checksums")
  node-taints: the policy'"'"'s instance.taints as key=value:Effect, comma-separated (e.g. dedicated=batch:NoSchedule); workers register with them'

fail() {
  echo "create-launch-template: $*" >&2
  exit 2
}
[ "$#" -eq 11 ] || [ "$#" -eq 12 ] || fail "expected 11 arguments, got $#
$usage"

name=$1 ami=$2 instance_type=$3 profile=$4 security_group=$5
cluster_id=$6 server_url=$7 token_parameter=$8 k3s_version=$9 k3s_sha256=${10} installer_sha256=${11}
node_taints=${12:-}

# Checked here, before AWS sees them: every value is written into JSON or
# into the user data, so none may carry quotes, spaces or newlines.
check() {
  local what=$1 value=$2 pattern=$3 expected=$4
  [[ $value =~ $pattern ]] || fail "$what '$value' is invalid: expected $expected"
}
check template-name "$name" '^[A-Za-z0-9()./_-]{3,128}$' '3-128 letters, digits or ()./_-'
check ami-id "$ami" '^ami-[0-9a-f]{8,17}$' 'an AMI id like ami-0abc1234'
check instance-type "$instance_type" '^[a-z0-9-]+\.[a-z0-9]+$' 'an instance type like t3.medium'
check instance-profile-name "$profile" '^[A-Za-z0-9+=,.@_-]{1,128}$' 'an instance profile name'
check security-group-id "$security_group" '^sg-[0-9a-f]{8,17}$' 'a security group id like sg-0abc1234'
check cluster-id "$cluster_id" '^[A-Za-z0-9-]{1,40}$' "1-40 letters, digits or '-'"
check server-url "$server_url" '^https://[A-Za-z0-9.:-]+$' 'the K3s API URL, e.g. https://10.0.1.10:6443'
check join-token-parameter "$token_parameter" '^/[A-Za-z0-9/_.-]+$' 'an SSM parameter name like /smartscale-prod/k3s/join-token'
check k3s-version "$k3s_version" '^v[0-9]+\.[0-9]+\.[0-9]+\+k3s[0-9]+$' 'a K3s release like v1.35.4+k3s1'
check k3s-sha256 "$k3s_sha256" '^[0-9a-f]{64}$' "the SHA-256 of the release's k3s binary (64 lower-case hex digits)"
check installer-sha256 "$installer_sha256" '^[0-9a-f]{64}$' 'the SHA-256 of install.sh at that tag (64 lower-case hex digits)'
if [ "$#" -eq 12 ]; then
  taint='[A-Za-z0-9][A-Za-z0-9./_-]*(=[A-Za-z0-9._-]*)?:(NoSchedule|PreferNoSchedule|NoExecute)'
  check node-taints "$node_taints" "^$taint(,$taint)*\$" 'key=value:Effect taints, comma-separated, e.g. dedicated=batch:NoSchedule (the policy'"'"'s instance.taints)'
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
template="$here/worker-launch-template.json"
user_data_script="$here/worker-user-data.sh"
fetch_script="$here/fetch-k3s.sh"

root_device=$(aws ec2 describe-images --image-ids "$ami" --query 'Images[0].RootDeviceName' --output text) \
  || fail "cannot describe image $ami (does it exist in this region?)"
[[ $root_device =~ ^/dev/[a-z0-9]+$ ]] || fail "image $ami has no root device name (got '$root_device')"

# The user data is worker-user-data.sh with the cluster's values set right
# after its first line (the interpreter line), then fetch-k3s.sh's function
# (without its interpreter line), then the rest of worker-user-data.sh.
user_data=$(
  {
    head -n 1 "$user_data_script"
    echo "export SMARTSCALE_CLUSTER_ID='$cluster_id'"
    echo "export SMARTSCALE_SERVER_URL='$server_url'"
    echo "export SMARTSCALE_JOIN_TOKEN_PARAMETER='$token_parameter'"
    echo "export SMARTSCALE_K3S_VERSION='$k3s_version'"
    echo "export SMARTSCALE_K3S_SHA256='$k3s_sha256'"
    echo "export SMARTSCALE_K3S_INSTALL_SHA256='$installer_sha256'"
    if [ -n "$node_taints" ]; then echo "export SMARTSCALE_NODE_TAINTS='$node_taints'"; fi
    tail -n +2 "$fetch_script"
    tail -n +2 "$user_data_script"
  } | base64 | tr -d '\n'
)

rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
sed -e "s|@AMI_ID@|$ami|" \
  -e "s|@INSTANCE_TYPE@|$instance_type|" \
  -e "s|@INSTANCE_PROFILE@|$profile|" \
  -e "s|@SECURITY_GROUP_ID@|$security_group|" \
  -e "s|@ROOT_DEVICE@|$root_device|" \
  -e "s|@USER_DATA@|$user_data|" \
  "$template" >"$rendered"
if grep -q '@[A-Z_]*@' "$rendered"; then
  fail "$template has a placeholder this script does not fill: $(grep -o '@[A-Z_]*@' "$rendered" | head -n 1)"
fi

aws ec2 create-launch-template \
  --launch-template-name "$name" \
  --version-description "SmartScale workers of $cluster_id" \
  --launch-template-data "file://$rendered" \
  --tag-specifications "ResourceType=launch-template,Tags=[{Key=smartscale:cluster,Value=$cluster_id}]" \
  --query LaunchTemplate.LaunchTemplateId --output text
