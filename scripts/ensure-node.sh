#!/usr/bin/env bash
# Source this file: it makes sure a Node.js >= 22 is first on PATH.
# When the machine's node is older (Node 20 is end-of-life since 2026-10-30), it installs
# Node 24 from the npm registry package `node@24` into the git-ignored `.tools/node24`
# folder of the project and prepends its bin folder to PATH.
_csp_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_csp_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_csp_major)" -lt 22 ]; then
  _csp_dir="$_csp_root/.tools/node24"
  if [ ! -x "$_csp_dir/node_modules/.bin/node" ]; then
    echo "ensure-node: node $(node -v 2>/dev/null || echo none) is older than 22; installing node@24 into .tools/node24" >&2
    npm install --prefix "$_csp_dir" --no-audit --no-fund --loglevel=error node@24 >&2
  fi
  export PATH="$_csp_dir/node_modules/.bin:$PATH"
fi
echo "ensure-node: using node $(node -v) at $(command -v node)" >&2
unset -f _csp_major
unset _csp_root _csp_dir
