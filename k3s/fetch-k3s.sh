#!/bin/bash
# fetch_k3s: downloads one pinned K3s release - the k3s binary for this
# machine's architecture and the install script at the same tag - and keeps
# them only when each matches the SHA-256 the operator pinned (issue #21 item
# 6). Nothing is piped to a shell: a changed install script, a hijacked download
# or another version is refused before anything runs as root.
#
# Sourced by server-install.sh; create-launch-template.sh writes it into the
# workers' user data. Where the pinned digests come from and how to upgrade:
# docs/deploy.md, "K3s version and checksums".
#
#   fetch_k3s <version> <k3s-sha256> <installer-sha256> <installer-path>
#
# Installs the binary as $SMARTSCALE_K3S_BIN_DIR/k3s (default /usr/local/bin,
# where the installer looks with INSTALL_K3S_SKIP_DOWNLOAD=true) and writes
# the install script to <installer-path>. Downloads come from GitHub over
# HTTPS; SMARTSCALE_K3S_RELEASE_URL and SMARTSCALE_K3S_SOURCE_URL replace the
# two bases (a mirror, or a test's server).

fetch_k3s() {
  local version=$1 k3s_sha=$2 installer_sha=$3 installer_path=$4
  local bin_dir=${SMARTSCALE_K3S_BIN_DIR:-/usr/local/bin}
  local release=${SMARTSCALE_K3S_RELEASE_URL:-https://github.com/k3s-io/k3s/releases/download}
  local source=${SMARTSCALE_K3S_SOURCE_URL:-https://raw.githubusercontent.com/k3s-io/k3s}
  [[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+\+k3s[0-9]+$ ]] ||
    { echo "fetch_k3s: version '$version' is invalid: expected a K3s release like v1.35.4+k3s1" >&2; return 2; }
  local what digest
  for what in k3s-sha256:"$k3s_sha" installer-sha256:"$installer_sha"; do
    digest=${what#*:}
    [[ $digest =~ ^[0-9a-f]{64}$ ]] ||
      { echo "fetch_k3s: ${what%%:*} '$digest' is invalid: expected 64 lower-case hex digits (sha256sum)" >&2; return 2; }
  done
  local asset
  case $(uname -m) in
    x86_64) asset=k3s ;;
    aarch64 | arm64) asset=k3s-arm64 ;;
    *) echo "fetch_k3s: no K3s asset for architecture $(uname -m)" >&2; return 2 ;;
  esac
  # HTTPS only, unless a base was replaced (a test's local server); the
  # digests hold either way.
  local protocols='=https'
  [ -z "${SMARTSCALE_K3S_RELEASE_URL:-}${SMARTSCALE_K3S_SOURCE_URL:-}" ] || protocols='=https,http'
  # '+' in the tag is %2B in a URL.
  local tag=${version//+/%2B}
  local download
  download=$(mktemp)
  # Every failure below leaves nothing behind but this temporary file, removed here.
  if ! curl --proto "$protocols" -sSfL "$release/$tag/$asset" -o "$download"; then
    rm -f "$download"
    echo "fetch_k3s: cannot download $release/$tag/$asset" >&2
    return 1
  fi
  if ! check_sha256 "$download" "$k3s_sha" "$asset $version"; then
    rm -f "$download"
    return 1
  fi
  mkdir -p "$bin_dir"
  install -m 0755 "$download" "$bin_dir/k3s"
  rm -f "$download"
  if ! curl --proto "$protocols" -sSfL "$source/$tag/install.sh" -o "$installer_path"; then
    echo "fetch_k3s: cannot download $source/$tag/install.sh" >&2
    return 1
  fi
  if ! check_sha256 "$installer_path" "$installer_sha" "install.sh $version"; then
    rm -f "$installer_path" "$bin_dir/k3s"
    return 1
  fi
}

# check_sha256 <file> <expected> <label>: names both digests when they differ.
check_sha256() {
  local actual
  actual=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$actual" != "$2" ]; then
    echo "fetch_k3s: $3 has SHA-256 $actual, expected $2: refusing it" >&2
    return 1
  fi
}
