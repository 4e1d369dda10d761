#!/usr/bin/env bash
# Rebuilds dist/ from clean and fails when the committed bundles differ from the sources,
# when a new file appears, or when a bundle lost an import (ncc then exits 0 but the bundle
# dies at run time with webpackMissingModule).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
node scripts/build.mjs
status=$(git status --porcelain -- dist)
if [ -n "$status" ]; then
  echo "check-dist: dist/ differs from a clean build of the sources; run 'npm run build' and commit dist/:" >&2
  echo "$status" | head -20 >&2
  git --no-pager diff --stat -- dist | tail -5 >&2
  exit 1
fi
if grep -l webpackMissingModule dist/*/index.js >/dev/null 2>&1; then
  echo "check-dist: bundles with missing modules: $(grep -l webpackMissingModule dist/*/index.js | tr '\n' ' ')" >&2
  exit 1
fi
echo "check-dist: dist/ matches a clean build"
