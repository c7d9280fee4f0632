#!/usr/bin/env bash
# The store packages of the browser extension, from extension/ as committed:
#   installer/target/cardbridge-extension-<version>-chrome.zip   to upload to the Chrome Web Store
#   installer/target/cardbridge-extension-<version>-firefox.xpi  to upload to addons.mozilla.org
# and the checks CI runs on them: the .xpi passes Mozilla's addons-linter (what `web-ext lint` and AMO's
# upload run; pinned in installer/store/package.json) with 0 errors and 0 warnings, both archives test
# good, and a second build gives the same bytes. The two paths are the last lines printed.
# Needs node and npm (the linter is installed from the npm registry into installer/store/node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."
store=installer/store
if [ ! -x "$store/node_modules/.bin/addons-linter" ]; then
  npm ci --prefix "$store" --no-audit --no-fund --loglevel=error >/dev/null
fi
mapfile -t built < <(node "$store/package-extension.mjs" extension installer/target)
again=$(mktemp -d)
trap 'rm -rf "$again"' EXIT
mapfile -t rebuilt < <(node "$store/package-extension.mjs" extension "$again")
for i in 0 1; do
  unzip -tq "${built[$i]}" >/dev/null
  if ! cmp -s "${built[$i]}" "${rebuilt[$i]}"; then
    echo "build-extension: ${built[$i]} is not reproducible: a second build differs" >&2
    exit 1
  fi
done
# Chromium's own packer loads the zip's contents as Chrome loads an extension (the manifest and every
# file it names) and refuses what Chrome refuses; it packs them with a throw-away key, the .crx is dropped.
if command -v chromium >/dev/null 2>&1; then
  mkdir "$again/chrome"
  unzip -q "${built[0]}" -d "$again/chrome"
  chromium --headless --no-sandbox --no-message-box --user-data-dir="$again/profile" \
    --pack-extension="$again/chrome" >"$again/pack.log" 2>&1 || true
  if [ ! -f "$again/chrome.crx" ]; then
    echo "build-extension: Chromium refuses ${built[0]}:" >&2
    grep -v zygote "$again/pack.log" >&2 || true
    exit 1
  fi
  echo "build-extension: Chromium loads ${built[0]}" >&2
elif [ "${CI:-}" = true ]; then
  echo "build-extension: chromium is needed to check ${built[0]}" >&2
  exit 1
else
  echo "build-extension: no chromium here, ${built[0]} was not loaded" >&2
fi
report=$("$store/node_modules/.bin/addons-linter" --output json "${built[1]}" || true)
node -e '
const r = JSON.parse(process.argv[1]);
for (const kind of ["errors", "warnings"]) for (const m of r[kind]) console.error(`${kind}: ${m.code} ${m.file ?? ""} ${m.message}`);
console.error(`addons-linter: ${r.summary.errors} errors, ${r.summary.warnings} warnings, ${r.summary.notices} notices`);
process.exit(r.summary.errors === 0 && r.summary.warnings === 0 ? 0 : 1);
' "$report"
sha256sum "${built[@]}" >&2
printf '%s\n' "${built[@]}"
