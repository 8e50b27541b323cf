#!/usr/bin/env bash
# Makes sure gofmt is on the machine (for the check that jsii-pacmak's Go code parses): installs
# Debian's golang-go when it is missing (root, apt).
set -euo pipefail
if command -v gofmt >/dev/null 2>&1; then
  echo "ensure-gofmt: gofmt present" >&2
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "ensure-gofmt: gofmt not found and not root: install Debian's golang-go package" >&2
  exit 1
fi
echo "ensure-gofmt: installing Debian's golang-go package" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >&2
command -v gofmt >/dev/null
