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
report=$("$store/node_modules/.bin/addons-linter" --output json "${built[1]}" || true)
node -e '
const r = JSON.parse(process.argv[1]);
for (const kind of ["errors", "warnings"]) for (const m of r[kind]) console.error(`${kind}: ${m.code} ${m.file ?? ""} ${m.message}`);
console.error(`addons-linter: ${r.summary.errors} errors, ${r.summary.warnings} warnings, ${r.summary.notices} notices`);
process.exit(r.summary.errors === 0 && r.summary.warnings === 0 ? 0 : 1);
' "$report"
sha256sum "${built[@]}" >&2
printf '%s\n' "${built[@]}"
