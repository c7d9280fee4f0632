#!/usr/bin/env bash
# Static check, on Linux, of the Windows MSI's browser registration (the release MSI itself is built by
# .github/workflows/release.yml with jpackage + WiX on Windows, which cannot run here).
#
# The host's MsiRegistration generates the WiX source from browsers.json, here into the stand-in for
# jpackage's main.wxs (installer/windows/stand-in-main.wxs); xmllint checks it is well-formed; wixl
# (msitools' WiX v3 compiler) builds a real .msi from it; msiinfo/msiextract then check that the package
# has a Registry row for every key browsers.json lists, each pointing at the manifest of its own component,
# that the default feature installs both components, and that the manifests it carries name the launcher
# beside them. wixl is not WiX: it cannot take absolute Source paths (they are made relative for it), it
# ignores RegistryKey/@ForceDeleteOnUninstall and writes HKMU's root differently, so those are left to
# MsiRegistrationTest.
#
#   installer/windows/check-msi.sh        (needs a JDK 25, xmllint, wixl, msiinfo, msiextract)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
log() { printf 'check-msi: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }
. .ci/setup.sh
cb_setup

for tool in xmllint wixl msiinfo msiextract; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (Debian packages libxml2-utils, wixl, msitools)"
done
if [ ! -f host/target/lib/cardbridge-host.jar ]; then
  log "building the host"
  ./mvnw -B -q -ntp -pl host package -DskipTests
fi
gen() { "$JAVA_HOME/bin/java" -cp "$root/host/target/lib/*" org.cardbridge.install.MsiRegistration "$@"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gen --out "$work/res" --launcher CardBridge.exe --main-wxs installer/windows/stand-in-main.wxs >/dev/null
xmllint --noout "$work/res/main.wxs" || fail "main.wxs is not well-formed"

# wixl resolves Source paths relative to the source file only.
cd "$work"
sed "s|Source=\"$work/res/|Source=\"res/|g" res/main.wxs > main-relative.wxs
printf 'MZ stand-in launcher\n' > CardBridge.exe
wixl -a x64 -D Launcher=CardBridge.exe -o cardbridge.msi main-relative.wxs 2> wixl.log \
  || { cat wixl.log >&2; fail "wixl could not build the MSI"; }

msiinfo export cardbridge.msi Registry | tail -n +4 | tr -d '\r' > registry.tsv
mapfile -t keys < <(gen --list-keys | tr -d '\r')
[ "${#keys[@]}" -ge 6 ] || fail "browsers.json lists only ${#keys[@]} Windows keys"
[ "$(wc -l < registry.tsv)" -eq "${#keys[@]}" ] || fail "$(wc -l < registry.tsv) Registry rows for ${#keys[@]} keys: $(cat registry.tsv)"
for k in "${keys[@]}"; do
  # Columns: Registry, Root, Key, Name, Value, Component_ (wixl ends Key with a backslash).
  row=$(awk -F'\t' -v k="$k" '$3 == k || $3 == k "\\"' registry.tsv)
  [ "$(printf '%s\n' "$row" | grep -c .)" -eq 1 ] || fail "key $k: expected one Registry row, got: $row"
  name=$(printf '%s' "$row" | cut -f4); value=$(printf '%s' "$row" | cut -f5); component=$(printf '%s' "$row" | cut -f6)
  [ -z "$name" ] || fail "key $k: the value must be the key's default, not $name"
  [ "$value" = "[#${component}File]" ] || fail "key $k: value $value is not the manifest of its component $component"
  case "$k" in
    *Mozilla*) [ "$component" = cardbridgeFirefoxManifest ] || fail "key $k must point at the Firefox manifest" ;;
    *) [ "$component" = cardbridgeChromeManifest ] || fail "key $k must point at the Chrome-family manifest" ;;
  esac
  log "ok  HKMU\\$k -> $value"
done

features=$(msiinfo export cardbridge.msi FeatureComponents | tail -n +4 | tr -d '\r')
for c in cardbridgeChromeManifest cardbridgeFirefoxManifest; do
  printf '%s\n' "$features" | grep -qx "DefaultFeature	$c" || fail "DefaultFeature does not install $c"
done

msiextract -C extracted cardbridge.msi >/dev/null
for fam in chrome firefox; do
  m=$(find extracted -name "org.cardbridge.host.$fam.json" | head -1)
  [ -n "$m" ] || fail "the MSI carries no org.cardbridge.host.$fam.json"
  [ "$(dirname "$m")" = "$(dirname "$(find extracted -name CardBridge.exe | head -1)")" ] || fail "$m is not beside the launcher"
  grep -q '"path" : "CardBridge.exe"' "$m" || fail "$m does not name the launcher beside it: $(cat "$m")"
done
grep -q '"allowed_extensions"' "$(find extracted -name org.cardbridge.host.firefox.json)" || fail "Firefox manifest without allowed_extensions"
grep -q '"allowed_origins"' "$(find extracted -name org.cardbridge.host.chrome.json)" || fail "Chrome manifest without allowed_origins"
log "passed: ${#keys[@]} registry keys from browsers.json, both manifests beside the launcher, in the default feature"
