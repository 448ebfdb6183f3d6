# shellcheck shell=bash
# npm packages pinned for the tests, installed once (sourced by the test launchers).
#
#   npm_pinned PKG_DIR CACHE_ROOT NAME MARKER
#
# PKG_DIR holds a package.json (exact versions) and its package-lock.json. The packages are
# installed with `npm ci` (exactly the lock file, no install scripts) into
# CACHE_ROOT/NAME-<hash of the two files>/, once: never again while the files are unchanged,
# and a changed pin gets a folder of its own. Parallel test programs wait on a lock instead of
# installing twice; the install goes to a scratch folder renamed into place, so a killed
# install never leaves a half cache behind. MARKER is a path inside the folder that exists
# once the install is complete (node_modules/<package>/package.json).
#
# Sets npm_dir to the folder. Returns 1 (npm's log on stderr) when the install fails, 77
# when node or npm is missing (the test then counts as skipped).
npm_pinned() {
  local pkg=$1 cache_root=$2 name=$3 marker=$4 hash scratch
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "npm_pinned: node and npm are needed for $name (apt-get install nodejs npm)" >&2
    return 77
  fi
  hash=$(cat "$pkg/package.json" "$pkg/package-lock.json" | sha256sum | cut -c1-16)
  npm_dir=$cache_root/$name-$hash
  [ -f "$npm_dir/$marker" ] && return 0
  mkdir -p "$cache_root"
  (
    flock 9
    [ -f "$npm_dir/$marker" ] && exit 0
    echo "npm_pinned: installing the pinned $name into $npm_dir (once)" >&2
    scratch=$(mktemp -d "$cache_root/.install.XXXXXX")
    cp "$pkg/package.json" "$pkg/package-lock.json" "$scratch/"
    if ! (cd "$scratch" && npm ci --ignore-scripts --no-audit --no-fund --omit=dev \
            --loglevel=error >"$scratch/npm.log" 2>&1); then
      cat "$scratch/npm.log" >&2
      rm -rf "$scratch"
      exit 1
    fi
    rm -f "$scratch/npm.log"
    rm -rf "$npm_dir"
    mv "$scratch" "$npm_dir"
  ) 9>"$cache_root/$name.lock"
}
