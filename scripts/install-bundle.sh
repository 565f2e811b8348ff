#!/usr/bin/env bash
# Installs the built backend (./kop yarn build:backend) into DIR the way packages/backend/Dockerfile
# does, for a machine without containers: skeleton, production dependencies, bundle, the config
# files and the catalog files the config reads from the working directory. Then, from DIR:
#   node packages/backend --config app-config.yaml --config app-config.production.yaml
set -euo pipefail
KOP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$KOP_ROOT/scripts/env.sh"
kop_use_node

dir="${1:?usage: scripts/install-bundle.sh DIR}"
dist="$KOP_ROOT/packages/backend/dist"
for file in skeleton.tar.gz bundle.tar.gz; do
  [ -f "$dist/$file" ] || { echo "install-bundle: $dist/$file is missing; run ./kop yarn build:backend first" >&2; exit 1; }
done
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

# The committed yarn and its settings, then the workspaces' package.json files and the lockfile.
mkdir -p "$dir/.yarn/releases"
cp "$KOP_ROOT"/.yarn/releases/yarn-*.cjs "$dir/.yarn/releases/"
cp "$KOP_ROOT/.yarnrc.yml" "$KOP_ROOT/yarn.lock" "$KOP_ROOT/package.json" "$dir/"
tar xzf "$dist/skeleton.tar.gz" -C "$dir"
# Production dependencies only; better-sqlite3 builds against the Node in use (npm_config_nodedir).
(cd "$dir" && NODE_ENV=production yarn workspaces focus --all --production)
tar xzf "$dist/bundle.tar.gz" -C "$dir"

# The config, and the catalog files app-config.production.yaml reads relative to the working directory.
cp "$KOP_ROOT/app-config.yaml" "$KOP_ROOT/app-config.production.yaml" "$KOP_ROOT/catalog-info.yaml" "$dir/"
rm -rf "$dir/catalog" "$dir/templates"
cp -r "$KOP_ROOT/catalog" "$KOP_ROOT/templates" "$dir/"
echo "install-bundle: the portal is in $dir; start it there with" \
  "node packages/backend --config app-config.yaml --config app-config.production.yaml"
