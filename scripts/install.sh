#!/usr/bin/env bash
# Installs exactly what package-lock.json records (`npm ci` also fails when the lock and
# package.json disagree), then checks that a plain `npm install` over the result would not rewrite
# the lock: an incomplete or stale lock fails here on every machine, not only on the ones whose
# npm cache happens to differ.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm ci --no-audit --no-fund --loglevel=error
before=$(sha256sum package-lock.json | cut -d' ' -f1)
npm install --no-audit --no-fund --loglevel=error
after=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$before" != "$after" ]; then
  echo "install: package-lock.json is incomplete or stale (npm install rewrote it):" >&2
  git --no-pager diff --stat -- package-lock.json >&2 || true
  echo "install: run 'npx projen' (or 'npm install') with an empty npm cache and commit the lock" >&2
  exit 1
fi
echo "install: npm ci and the lock check took ${SECONDS} s" >&2
