#!/usr/bin/env bash
# The second CI job: the library against the newest aws-cdk-lib release. Run after scripts/test.sh
# (which tests the floor, the devDependency in package-lock.json): installs the newest aws-cdk-lib
# over it without touching package.json or the lock, then runs the jsii compile and the jest suites
# that build constructs. Suites that only run handler code against emulators (no aws-cdk-lib in
# them: *runtime.test.ts, test/runtime/, the fault and Python-worker tests, the stream poller)
# ran in the first job and do not depend on the aws-cdk-lib release, so they are not run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/ensure-node.sh
newest=$(npm view aws-cdk-lib@latest version)
floor=$(node -p 'require("aws-cdk-lib/package.json").version')
echo "test-newest-cdk: aws-cdk-lib floor ${floor}, newest release ${newest}"
cp package.json /tmp/csp-package.json.$$; cp package-lock.json /tmp/csp-package-lock.json.$$
restore() { cp /tmp/csp-package.json.$$ package.json; cp /tmp/csp-package-lock.json.$$ package-lock.json; rm -f /tmp/csp-package*.json.$$; }
trap restore EXIT
npm install --no-save --no-audit --no-fund --loglevel=error "aws-cdk-lib@${newest}"
installed=$(node -p 'require("aws-cdk-lib/package.json").version')
[ "$installed" = "$newest" ] || { echo "test-newest-cdk: installed aws-cdk-lib ${installed}, expected ${newest}" >&2; exit 1; }
rm -f test-reports/junit.xml
status=0
npx projen compile && npx jest --maxWorkers=2 --passWithNoTests \
  --testPathIgnorePatterns '/node_modules/' 'runtime\.test\.ts$' '/test/runtime/' '/test/helpers/emulators\.test\.ts$' \
  '/test/async-http-api/(faults|python-worker)\.test\.ts$' '/test/examples/bundle\.test\.ts$' \
  '/test/local/(dynamodb-streams|delivery-rules)\.test\.ts$' || status=$?
node scripts/test-summary.js test-reports/junit.xml || true
exit $status
