#!/usr/bin/env bash
# install.sh — the API documentation viewers, from the pinned npm packages, into DEST.
#
#   api/docs-assets/install.sh DEST [CACHE_ROOT]
#
# package.json pins swagger-ui-dist and redoc to exact versions and package-lock.json pins
# every file by its integrity hash; `npm ci` installs exactly that (no install scripts: the
# Scarf analytics hook of swagger-ui-dist never runs). From it DEST gets only what
# fleetsim-api serves (api/handlers_docs.c) — Swagger UI's bundle and stylesheet, Redoc's
# standalone bundle — each also gzip'ed (`gzip -9 -n`, so the server never compresses them
# itself), their licence texts in LICENSES.txt and versions.json (the installed versions,
# shown on the pages). With CACHE_ROOT the node_modules stay in
# CACHE_ROOT/docs-assets-<hash of the two files>/ and are reused while the pins are
# unchanged (the first run needs the npm registry). Called by Meson (api/docs-assets/
# meson.build, option docs_assets) and by Dockerfile.api's docs-assets stage.
set -euo pipefail
dest=$1 cache_root=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
for tool in node npm gzip; do
  command -v "$tool" >/dev/null ||
    { echo "install.sh: $tool is needed for the API docs assets (apt-get install nodejs npm)" >&2; exit 1; }
done

# npm ci into DIR, into a scratch folder renamed into place (a killed install leaves nothing)
npm_install() {
  local dir=$1 scratch
  scratch=$(mktemp -d "$(dirname "$dir")/.install.XXXXXX")
  cp "$here/package.json" "$here/package-lock.json" "$scratch/"
  if ! (cd "$scratch" && npm ci --ignore-scripts --no-audit --no-fund --omit=dev --omit=peer \
          --loglevel=error >"$scratch/npm.log" 2>&1); then
    cat "$scratch/npm.log" >&2
    rm -rf "$scratch"
    return 1
  fi
  rm -rf "$dir"
  mv "$scratch" "$dir"
}

marker=node_modules/swagger-ui-dist/package.json
if [ -n "$cache_root" ]; then
  mkdir -p "$cache_root"
  hash=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
  mods=$cache_root/docs-assets-$hash
  if [ ! -f "$mods/$marker" ]; then
    (
      flock 9
      [ -f "$mods/$marker" ] || { echo "install.sh: npm ci of the pinned docs assets into $mods (once)" >&2; npm_install "$mods"; }
    ) 9>"$cache_root/docs-assets.lock"
  fi
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mods=$tmp/npm
  npm_install "$mods"
fi
nm=$mods/node_modules

mkdir -p "$dest"
files=(swagger-ui-dist/swagger-ui-bundle.js swagger-ui-dist/swagger-ui.css redoc/bundles/redoc.standalone.js)
# Redoc's sidebar shows the Redocly logo from cdn.redoc.ly, with no option to turn it off:
# the one change made to a file — its URL becomes an empty data: image (the img then hides
# itself). Exactly one occurrence, or the pin moved and this needs a look.
logo=https://cdn.redoc.ly/redoc/logo-mini.svg
for f in "${files[@]}"; do
  base=${f##*/}
  cp "$nm/$f" "$dest/$base.tmp"
  if [ "$base" = redoc.standalone.js ]; then
    count=$(grep -o "$logo" "$dest/$base.tmp" | wc -l)
    [ "$count" = 1 ] ||
      { echo "install.sh: expected the Redocly logo URL once in $base, found it $count times" >&2; exit 1; }
    sed -i "s#\"$logo\"#\"data:,\"#" "$dest/$base.tmp"
  fi
  mv "$dest/$base.tmp" "$dest/$base"
  gzip -9 -n -c "$dest/$base" >"$dest/$base.gz.tmp" && mv "$dest/$base.gz.tmp" "$dest/$base.gz"
done
version() { node -p "require('$nm/$1/package.json').version"; }
printf '{"swagger-ui-dist": "%s", "redoc": "%s"}\n' "$(version swagger-ui-dist)" \
  "$(version redoc)" >"$dest/versions.json"
{
  echo "The API documentation pages of fleetsim-api serve these files unchanged:"
  echo "swagger-ui-bundle.js and swagger-ui.css from swagger-ui-dist $(version swagger-ui-dist),"
  echo "redoc.standalone.js from redoc $(version redoc) (one change: the sidebar's Redocly logo"
  echo "is not loaded from cdn.redoc.ly). Their licences follow."
  for f in swagger-ui-dist/LICENSE swagger-ui-dist/NOTICE swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt \
           redoc/LICENSE redoc/bundles/redoc.standalone.js.LICENSE.txt; do
    [ -f "$nm/$f" ] || continue
    printf '\n==== %s ====\n\n' "$f"
    cat "$nm/$f"
  done
} >"$dest/LICENSES.txt"
