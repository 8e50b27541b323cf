#!/usr/bin/env bash
# Installs exactly what package-lock.json records (`npm ci`), then checks that the lock still
# matches package.json and the projen definition: a lock that a fresh `npm install` would change
# fails here, on every machine, instead of only on the ones whose npm cache happens to differ.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm ci --no-audit --no-fund --loglevel=error
# `npm install --package-lock-only` rewrites the lock from package.json without touching
# node_modules; any difference means the committed lock is incomplete or stale.
before=$(sha256sum package-lock.json | cut -d' ' -f1)
npm install --package-lock-only --no-audit --no-fund --loglevel=error
after=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$before" != "$after" ]; then
  echo "install: package-lock.json is out of date with package.json (lock drift):" >&2
  git --no-pager diff --stat -- package-lock.json >&2 || true
  echo "install: run 'npx projen' (or 'npm install') and commit the lock" >&2
  exit 1
fi
