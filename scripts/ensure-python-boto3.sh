#!/usr/bin/env bash
# Makes sure Debian's python3 has boto3 (for the Python reference worker's tests): installs
# Debian's python3-boto3 when it is missing (root, apt).
set -euo pipefail
if /usr/bin/python3 -c 'import boto3' >/dev/null 2>&1; then
  echo "ensure-python-boto3: boto3 present for /usr/bin/python3" >&2
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "ensure-python-boto3: /usr/bin/python3 lacks boto3 and not root: install Debian's python3-boto3 package" >&2
  exit 1
fi
echo "ensure-python-boto3: installing Debian's python3-boto3 package" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-boto3 >&2
/usr/bin/python3 -c 'import boto3'
