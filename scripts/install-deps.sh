#!/usr/bin/env bash
# Installs the Debian packages the test stack and the integration tests run (registry, docker
# engine, skopeo, buildah, htpasswd, static busybox, git, openssl, cmark-gfm) on a fresh Debian 12 machine
# as root. Idempotent: only missing packages are installed, and the package lists are refreshed
# only when something is missing. Then scripts/install-engines.sh adds the newer dockerd and
# buildx the build-push tests use, unpacked under .tools/ (nothing system-wide).
set -euo pipefail

packages=(
  docker.io       # dockerd + docker CLI (classic builder)
  docker-registry # distribution 2.8 (the registries of the test stack)
  skopeo          # independent registry client that checks what the code wrote
  buildah         # multi-arch manifests without buildx
  apache2-utils   # htpasswd -B (bcrypt) for the basic-auth registry
  busybox-static  # a static binary for FROM scratch build contexts
  git             # also git http-backend, the smart-HTTP server of the gitops-update tests
  yq              # the peer of bench/gitops-update.mjs (the jq wrapper: yq -i -y)
  jq              # the run steps of the reusable workflows (wiring test, demo), as on GitHub's runners
  openssl         # the token server's signing certificate
  file            # tells static from dynamic binaries
  ca-certificates
  cmark-gfm       # renders job summaries the way GitHub does (summary tests)
  unzip           # reads the artifact zips the uploader sends to the fake results service
)

installed() { # a package counts as installed only when dpkg says so in full
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done

engines() { # the newer dockerd and buildx the build-push tests use, cosign and oras that check
  # what sbom-sign writes: unpacked beside the repo
  bash "$(dirname "$0")/install-engines.sh"
  bash "$(dirname "$0")/install-sigstore-tools.sh"
}

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  engines
  exit 0
fi

if [[ "$(id -u)" != 0 ]]; then
  echo "install-deps: missing ${missing[*]} and not root; run as root (or install them by hand)" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# needrestart (recommended by docker.io) must not stop to ask about restarting services
export NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=l
apt-get update -qq
# docker.io's maintainer scripts try to start the service; on machines without systemd that
# fails harmlessly and the stack starts its own daemon, so the policy layer is told not to.
policy_rc=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$policy_rc" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy_rc"
  chmod +x "$policy_rc"
  created_policy=1
fi
cleanup() { if ((created_policy)); then rm -f "$policy_rc"; fi; }
trap cleanup EXIT

# with recommends, as on the machines the tests were written on (buildah's fuse-overlayfs, ...)
apt-get install -y -qq "${missing[@]}" >/dev/null

still=()
for p in "${missing[@]}"; do
  installed "$p" || still+=("$p")
done
if ((${#still[@]})); then
  echo "install-deps: still missing after install: ${still[*]}" >&2
  exit 1
fi
echo "install-deps: installed ${missing[*]}"
engines
