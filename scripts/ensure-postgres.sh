#!/usr/bin/env bash
# Makes sure the PostgreSQL server binaries (initdb, pg_ctl) are on the machine for the runtime
# tests of the database pool: installs Debian's `postgresql` when they are missing (root, apt).
set -euo pipefail
find_bin() {
  command -v initdb >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}
if find_bin; then
  echo "ensure-postgres: PostgreSQL server binaries present" >&2
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "ensure-postgres: initdb not found and not root: install Debian's postgresql package" >&2
  exit 1
fi
echo "ensure-postgres: installing Debian's postgresql package" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
# The Debian package starts a cluster on port 5432; the tests run their own on loopback ports.
(service postgresql stop >/dev/null 2>&1 || true)
find_bin
