#!/usr/bin/env bash
# Fetches the newer container engines the build-push tests need (dockerd 26 with the containerd
# image store, buildx 0.13) from Debian trixie and unpacks them into a tools folder, without
# installing anything system-wide: mixing suites with apt-get install could upgrade libc.
# Idempotent: a tools folder whose engines already have the wanted major.minor is left alone.
#
#   ENGINES_DIR   where to unpack (default: <repo>/.tools/engines)
#   ENGINES_SUITE Debian suite to fetch from (default: trixie)
#
# Afterwards: $ENGINES_DIR/usr/sbin/dockerd, $ENGINES_DIR/usr/bin/docker,
# $ENGINES_DIR/usr/libexec/docker/cli-plugins/docker-buildx. Newer Debian revisions ship the CLI
# in its own package (docker-cli); it is fetched whenever the suite has it.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${ENGINES_DIR:-$root/.tools/engines}"
suite="${ENGINES_SUITE:-trixie}"
# wanted major.minor per package, checked against what the binaries report (never Debian revisions)
want_dockerd="26.1"
want_buildx="0.13"

dockerd_bin="$dir/usr/sbin/dockerd"
buildx_bin="$dir/usr/libexec/docker/cli-plugins/docker-buildx"
cli_bin="$dir/usr/bin/docker"

version_of() { # prints the first x.y found in the command's output, or nothing
  "$@" 2>/dev/null | grep -oE '[0-9]+\.[0-9]+' | head -n1 || true
}

check() {
  local d b
  d="$(version_of "$dockerd_bin" --version)"
  b="$("$buildx_bin" version 2>/dev/null | grep -oE 'v?[0-9]+\.[0-9]+\.[0-9]+' | head -n1 | sed 's/^v//' | cut -d. -f1,2 || true)"
  [[ "$d" == "$want_dockerd" && "$b" == "$want_buildx" && -x "$cli_bin" ]]
}

if [[ -x "$dockerd_bin" && -x "$buildx_bin" ]] && check; then
  echo "engines already in $dir (dockerd $want_dockerd, buildx $want_buildx)"
  exit 0
fi

# shellcheck source=lib/debian-suite.sh
source "$root/scripts/lib/debian-suite.sh"
# newer Debian revisions ship the CLI in its own package: fetched whenever the suite has it
unpack_suite_packages "$suite" "$dir" docker.io docker-buildx '?docker-cli'
# trixie's runc needs glibc 2.38: keep it off every path the daemon searches, bookworm's runc is used
rm -f "$dir/usr/sbin/runc" "$dir/usr/bin/runc"

if ! check; then
  echo "install-engines: expected dockerd $want_dockerd, its CLI and buildx $want_buildx in $dir, found dockerd '$(version_of "$dockerd_bin" --version)' and buildx '$("$buildx_bin" version 2>/dev/null || true)'" >&2
  exit 1
fi
echo "engines in $dir: $("$dockerd_bin" --version), buildx $("$buildx_bin" version | head -n1)"
