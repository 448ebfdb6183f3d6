#!/usr/bin/env bash
# The documentation pages over HTTP (the browser's view is docs_browser.py): /docs (Swagger
# UI) and /docs/redoc (Redoc) name only this server's URLs, carry a Content-Security-Policy
# of 'self'; every asset they name is served with its type, an ETag, a cache policy (a year,
# immutable, for the ?v= URL the pages use), gzip when asked (the same bytes), 304 on a
# matching If-None-Match; versions.json says the versions pinned in api/docs-assets; a
# FLEETSIM_API_DOCS_ASSETS without the files stops start-up (exit 2 naming it); a binary
# with no viewers installed beside it answers /docs 503 and still serves /openapi.json.
# Usage (from meson): docs_cases.sh FLEETSIM-API (FSIM_DOCS_ASSETS: the built folder). Emits TAP.
api=$1
root=${FSIM_SOURCE_ROOT:?}
assets=${FSIM_DOCS_ASSETS:?}
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/lib.sh"
export FLEETSIM_CONFIG_DIR=$root/config
if [ ! -f "$assets/versions.json" ]; then
  echo "1..0 # SKIP the docs assets are not built (npm missing: meson -Ddocs_assets=auto)"
  exit 0
fi

api_start docs FLEETSIM_API_DOCS=1 || bad "the server starts" "$(cat "$api_log")"
check "start-up names the viewers' folder" grep -q "viewers from .*docs-assets" "$api_log"
refs=()
for page in /docs /docs/redoc; do
  req GET "$page"
  check "GET $page: 200 text/html" eval '[ "$status" = 200 ] && [[ "$(hdr Content-Type)" == text/html* ]]'
  check "GET $page: a Content-Security-Policy of 'self' only" eval \
    '[[ "$(hdr Content-Security-Policy)" == *"default-src '"'none'"'"*"script-src '"'self'"';"*"connect-src '"'self'"';"* ]]'
  grep -o '\(src\|href\)="[^"]*"' "$tmp/body" | sed 's/^[a-z]*="\(.*\)"$/\1/' >"$tmp/urls"
  check "GET $page: every URL it names is on this server (/…, data:)" eval \
    '[ -s "$tmp/urls" ] && ! grep -v "^/\|^data:" "$tmp/urls"'
  check "GET $page: names no CDN or font host" eval '! grep -qi "cdn\|googleapis\|gstatic\|https\?://" "$tmp/body"'
  mapfile -t -O "${#refs[@]}" refs < <(grep '^/docs/assets/' "$tmp/urls")
done
check "the pages name 6 assets (bundle, stylesheet, init script; Redoc's bundle and init; the licences)" \
  eval '[ "$(printf "%s\n" "${refs[@]}" | sort -u | wc -l)" = 6 ]'

for url in $(printf '%s\n' "${refs[@]}" | sort -u); do
  name=${url%%\?*}
  name=${name##*/}
  req GET "$url"
  type=$(hdr Content-Type)
  case $name in
    *.js) want=text/javascript ;; *.css) want=text/css ;; *.txt) want=text/plain ;; *) want=unknown ;;
  esac
  check "GET $url: 200, $want" eval '[ "$status" = 200 ] && [[ "$type" == "$want"* ]]'
  etag=$(hdr ETag) cc=$(hdr Cache-Control)
  check "$name: its ETag is the ?v= the page names, cached a year (immutable)" eval \
    '[ "$etag" = "\"${url##*v=}\"" ] && [ "$cc" = "public, max-age=31536000, immutable" ]'
  cp "$tmp/body" "$tmp/plain"
  if [ -f "$assets/$name" ]; then
    check "$name: the bytes install.sh put in the folder" cmp -s "$tmp/plain" "$assets/$name"
  fi
  req GET "/docs/assets/$name"
  check "$name without ?v=: cached 5 minutes only" eval '[ "$(hdr Cache-Control)" = "public, max-age=300" ]'
  rm -f "$tmp/body" # (curl writes no file for an empty body)
  req GET "$url" -H "If-None-Match: $etag"
  check "$name: If-None-Match with its ETag: 304, no body" eval '[ "$status" = 304 ] && [ ! -s "$tmp/body" ]'
  if [ -f "$assets/$name.gz" ]; then
    req GET "$url" -H 'Accept-Encoding: gzip'
    check "$name: gzip when asked (Vary: Accept-Encoding), the same bytes decoded" eval \
      '[ "$status" = 200 ] && [ "$(hdr Content-Encoding)" = gzip ] && [ "$(hdr Vary)" = Accept-Encoding ] &&
       gzip -dc "$tmp/body" | cmp -s - "$tmp/plain"'
  fi
done

req GET /docs/assets/versions.json
check "versions.json: the versions pinned in api/docs-assets/package.json" eval \
  '[ "$status" = 200 ] && jq -e --slurpfile pin "$root/api/docs-assets/package.json" \
     "{\"swagger-ui-dist\": .[\"swagger-ui-dist\"], redoc} == (\$pin[0].dependencies | {\"swagger-ui-dist\": .[\"swagger-ui-dist\"], redoc})" \
     "$tmp/body" >/dev/null'
status=$(curl -sS -I -o "$tmp/body" -w '%{http_code}' "$base/docs/assets/swagger-ui.css")
check "HEAD of an asset: 200, its length, no body" eval \
  '[ "$status" = 200 ] && grep -qi "^content-length: $(stat -c %s "$assets/swagger-ui.css")" "$tmp/body"'
req GET /docs/assets/index.html
check "an asset the folder holds but the pages do not use: 404, error shape" eval \
  '[ "$status" = 404 ] && error_shape_ok'
req GET /docs/assets/../../openapi.json --path-as-is
check "a path that climbs out of /docs/assets: never a file (404)" eval '[ "$status" = 404 ]'
req POST /docs/assets/swagger-ui.css
check "POST on an asset: 405" eval '[ "$status" = 405 ]'
api_stop
check "no sanitizer reports" sanitizer_clean "$api_log"

# a folder named in the setting must hold the files
rc=0
PORT=0 FLEETSIM_API_LISTEN=127.0.0.1 FLEETSIM_API_DOCS=1 FLEETSIM_API_DOCS_ASSETS=$tmp/none \
  "$api" >"$tmp/o" 2>&1 || rc=$?
check "FLEETSIM_API_DOCS_ASSETS without the files: exit 2 naming it" eval \
  '[ "$rc" = 2 ] && grep -q FLEETSIM_API_DOCS_ASSETS "$tmp/o"'
# …and the setting wins over the folder beside the binary
mkdir "$tmp/copy"
cp "$assets"/* "$tmp/copy/"
api_start set FLEETSIM_API_DOCS=1 FLEETSIM_API_DOCS_ASSETS="$tmp/copy" || bad "the server starts" "$(cat "$api_log")"
check "FLEETSIM_API_DOCS_ASSETS: the viewers come from there" grep -q "viewers from $tmp/copy" "$api_log"
api_stop

# a binary with nothing beside it (and no setting): /docs says why, /openapi.json works
mkdir "$tmp/bin"
cp "$api" "$tmp/bin/fleetsim-api"
api=$tmp/bin/fleetsim-api
api_start bare FLEETSIM_API_DOCS=1 || bad "the server starts" "$(cat "$api_log")"
check "no viewers installed: a start-up WARNING says so" grep -q '"WARNING".*viewers are not installed' "$api_log"
req GET /docs
check "no viewers installed: /docs is 503 docs_not_installed (error shape)" eval \
  '[ "$status" = 503 ] && error_shape_ok && jq -e ".error.code == \"docs_not_installed\"" "$tmp/body" >/dev/null'
req GET /openapi.json
check "no viewers installed: /openapi.json is still served" eval '[ "$status" = 200 ]'
api_stop
tap_done
