#!/usr/bin/env bash
# The main job on a fresh machine: Node check, install, then synthesize the example app that
# composes every pattern into cdk.out/ with the cdk-nag gate (fails on any error).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/ensure-node.sh
bash scripts/install.sh
npx projen synth:example
