#!/usr/bin/env bash
# Installs the project's npm dependencies from package-lock.json on a fresh clone.
# `npm ci` rejects the lock of a projen awscdk-construct project on npm 11/12 ("Missing:
# @unrs/resolver-binding-... from lock file": optional platform bindings npm 11 records
# differently); `npm install` resolves the same versions and leaves the lock unchanged, which
# this script checks, so CI still installs exactly what is committed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
before=$(sha256sum package-lock.json | cut -d' ' -f1)
npm install --no-audit --no-fund --loglevel=error
after=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$before" != "$after" ]; then
  echo "install: npm install changed package-lock.json; commit the updated lock (run npx projen)" >&2
  git --no-pager diff --stat -- package-lock.json >&2 || true
  exit 1
fi
