#!/usr/bin/env bash
# Fetches oras (an independent OCI artifact client, the peer of bench/trivy-scan.mjs's database
# fetch) from Debian trixie and unpacks it into a tools folder, the way install-engines.sh does:
# a private apt state, `apt-get download`, `dpkg -x`; nothing is installed system-wide.
# Idempotent: a tools folder whose oras already reports the wanted major.minor is left alone.
#
#   ORAS_DIR    where to unpack (default: <repo>/.tools/oras); oras is then $ORAS_DIR/usr/bin/oras
#   ORAS_SUITE  Debian suite to fetch from (default: trixie)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${ORAS_DIR:-$root/.tools/oras}"
suite="${ORAS_SUITE:-trixie}"
want="1.2"
bin="$dir/usr/bin/oras"

have() { "$bin" version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+' | head -n1 || true; }

if [[ -x "$bin" && "$(have)" == "$want" ]]; then
  echo "oras already in $dir ($want)"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$dir"
echo "deb http://deb.debian.org/debian $suite main" >"$work/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$work/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache=$work/cache"
  -o "Dir::State::Status=/dev/null"
  -o "APT::Architecture=$(dpkg --print-architecture)"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" -qq update
(cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download oras)
for deb in "$work"/debs/*.deb; do
  dpkg -x "$deb" "$dir"
done
if [[ "$(have)" != "$want" ]]; then
  echo "install-oras: expected oras $want in $dir, found '$("$bin" version 2>/dev/null | head -n1 || true)'" >&2
  exit 1
fi
echo "oras in $dir: $("$bin" version | head -n1)"
