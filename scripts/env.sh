# Sourced by ./kop: picks a Node that Backstage supports, points native builds at its headers, and
# puts the committed yarn release on PATH. Installs nothing but Node itself (into .tools/, git-ignored).
KOP_ROOT="${KOP_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
KOP_NODE_MAJOR=22
KOP_TOOLS="$KOP_ROOT/.tools"

kop_node_major() {
  "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

kop_use_node() {
  local sys_node major arch pkg dir
  sys_node=$(command -v node || true)
  major=0
  [ -n "$sys_node" ] && major=$(kop_node_major "$sys_node")
  if [ "$major" -ge "$KOP_NODE_MAJOR" ]; then
    dir=$(cd "$(dirname "$(readlink -f "$sys_node")")/.." && pwd)
    # Only a prefix that ships headers helps node-gyp; otherwise let it do what it normally does.
    [ -f "$dir/include/node/node_api.h" ] && export npm_config_nodedir="$dir"
  else
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64 | arm64) arch=arm64 ;;
      *) echo "kop: no Node $KOP_NODE_MAJOR package for $(uname -m); install Node $KOP_NODE_MAJOR+ yourself" >&2; return 1 ;;
    esac
    pkg="node-linux-$arch"
    dir="$KOP_TOOLS/node/node_modules/$pkg"
    if [ ! -x "$dir/bin/node" ] || [ "$(kop_node_major "$dir/bin/node")" -lt "$KOP_NODE_MAJOR" ]; then
      echo "kop: system Node is ${major:-missing}; installing Node $KOP_NODE_MAJOR from the npm registry into .tools/" >&2
      mkdir -p "$KOP_TOOLS/node"
      npm install --prefix "$KOP_TOOLS/node" --no-save --no-package-lock --no-audit --no-fund \
        --ignore-scripts "$pkg@$KOP_NODE_MAJOR" >&2 || return 1
    fi
    export PATH="$dir/bin:$PATH"
    export npm_config_nodedir="$dir"
  fi
  # Yarn must use the same registry npm is configured for on this machine.
  if [ -z "${YARN_NPM_REGISTRY_SERVER:-}" ] && command -v npm >/dev/null; then
    local reg
    reg=$(npm config get registry 2>/dev/null || true)
    [ -n "$reg" ] && export YARN_NPM_REGISTRY_SERVER="${reg%/}"
  fi
  # A yarn shim so every child process (backstage-cli, playwright webServer) runs the committed release.
  mkdir -p "$KOP_TOOLS/bin"
  local yarn_js
  yarn_js=$(ls "$KOP_ROOT"/.yarn/releases/yarn-*.cjs | head -n 1)
  printf '#!/bin/sh\nexec node "%s" "$@"\n' "$yarn_js" >"$KOP_TOOLS/bin/yarn"
  chmod +x "$KOP_TOOLS/bin/yarn"
  export PATH="$KOP_TOOLS/bin:$PATH"
  export COREPACK_ENABLE_STRICT=0
}
