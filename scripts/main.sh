#!/usr/bin/env bash
# The main job on a fresh machine: Node check, `npm ci`, then `npx cdk synth` of the example app
# (cdk.json) that composes every pattern into cdk.out/, with a per-stack summary; fails on any
# cdk-nag or guardrail error; then runs the assembly in the local cloud (a scripted smoke of every
# pattern it emulates) and fails if anything did not happen.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/ensure-node.sh
bash scripts/install.sh
npm run synth:example
# ... then runs it in the local cloud, every pattern it emulates end to end (docs/local-cloud.md)
npm run smoke:local
