#!/usr/bin/env bash
# The tests on a fresh machine (what .ci/run runs): Node check, install, then bundle the handlers,
# jsii compile, API.md, rosetta, jsii-pacmak --code-only (Python compiles, Go parses), type-check, jest (construct tests, cdk-nag gate, handler tests against
# local emulators), eslint and the npm package. Python/Java/.NET/Go packaging is not run: their
# toolchains' registries are unreachable here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/ensure-node.sh
bash scripts/install.sh
bash scripts/ensure-postgres.sh
bash scripts/ensure-gofmt.sh
bash scripts/ensure-python-boto3.sh
bash scripts/ensure-java.sh
rm -f test-reports/junit.xml
status=0
npx projen ci:test || status=$?
node scripts/test-summary.js test-reports/junit.xml || true
exit $status
