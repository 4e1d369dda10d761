#!/usr/bin/env bash
# Fetches the independent checkers of what sbom-sign writes and promote verifies: cosign 2.5
# (key-based sign/verify/attest offline against the test registries) and oras 1.2 (referrers
# through the referrers tag schema), both from Debian trixie, unpacked into a tools folder
# without installing anything system-wide. Idempotent: a folder whose tools already have the
# wanted major.minor is left alone.
#
#   SIGSTORE_TOOLS_DIR   where to unpack (default: <repo>/.tools/sigstore)
#   SIGSTORE_TOOLS_SUITE Debian suite to fetch from (default: trixie)
#
# Afterwards: $SIGSTORE_TOOLS_DIR/usr/bin/cosign and $SIGSTORE_TOOLS_DIR/usr/bin/oras.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${SIGSTORE_TOOLS_DIR:-$root/.tools/sigstore}"
suite="${SIGSTORE_TOOLS_SUITE:-trixie}"
want_oras="1.2"

cosign_bin="$dir/usr/bin/cosign"
oras_bin="$dir/usr/bin/oras"

check() {
  # trixie's cosign 2.5 reports its version as 'devel': check that it runs and has the commands
  # the tests use instead of a version number
  "$cosign_bin" verify-attestation --help >/dev/null 2>&1 || return 1
  local o
  o="$("$oras_bin" version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+' | head -n1 || true)"
  [[ "$o" == "$want_oras" ]]
}

if [[ -x "$cosign_bin" && -x "$oras_bin" ]] && check; then
  echo "sigstore tools already in $dir (cosign, oras $want_oras)"
  exit 0
fi

# shellcheck source=lib/debian-suite.sh
source "$root/scripts/lib/debian-suite.sh"
unpack_suite_packages "$suite" "$dir" cosign oras

if ! check; then
  echo "install-sigstore-tools: expected a working cosign and oras $want_oras in $dir, found oras '$("$oras_bin" version 2>/dev/null | head -n1 || true)'" >&2
  exit 1
fi
echo "sigstore tools in $dir: cosign ($("$cosign_bin" version 2>/dev/null | grep -i '^GitVersion' | tr -s ' ' | cut -d' ' -f2)), oras $("$oras_bin" version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1)"
