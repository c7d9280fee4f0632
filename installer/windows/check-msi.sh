#!/usr/bin/env bash
# Static check, on Linux, of the Windows MSI's browser registration (the release MSI itself is built by
# .github/workflows/release.yml with jpackage + WiX on Windows, which cannot run here).
#
# The host's MsiRegistration generates the WiX source from browsers.json, here into the stand-in for
# jpackage's main.wxs (installer/windows/stand-in-main.wxs); xmllint checks it is well-formed; wixl
# (msitools' WiX v3 compiler) builds a real .msi from it; msiinfo/msiextract then check that the package
# has a Registry row for every key browsers.json lists, each pointing at the manifest of its own component,
# that the default feature installs both components, and that the manifests it carries name the launcher
# beside them. wixl is not WiX: it cannot take absolute Source paths (they are made relative for it) and
# ignores RegistryKey/@ForceDeleteOnUninstall (left to MsiRegistrationTest).
#
# Then the package is installed and removed by a real Windows Installer, Wine's msiexec, in a private Wine
# prefix: for all users (HKLM) and for one (HKCU, what HKMU becomes without ALLUSERS), each key read back
# with reg.exe in both registry views, the manifests on disk, and nothing left after msiexec /x. Two of
# wixl's departures from WiX are undone first, in the package's tables: wixl writes HKMU as root 4 where
# the MSI schema (and WiX) writes -1, and it does not mark components 64-bit as WiX does for jpackage's
# `-arch x64`. Wine's Windows Installer is not Microsoft's; release.yml's smoke test is the check on Windows.
#
#   installer/windows/check-msi.sh        (needs a JDK 25, xmllint, wixl, msitools, wine64)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
log() { printf 'check-msi: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }
. .ci/setup.sh
cb_setup

for tool in xmllint wixl msiinfo msiextract msibuild; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (Debian packages libxml2-utils, wixl, msitools)"
done
wine=""
for w in /usr/lib/wine/wine64 /usr/bin/wine64 /usr/bin/wine; do [ -x "$w" ] && { wine=$w; break; }; done
[ -n "$wine" ] || fail "Wine is missing (Debian package wine64)"
if [ ! -f host/target/lib/cardbridge-host.jar ]; then
  log "building the host"
  ./mvnw -B -q -ntp -pl host package -DskipTests
fi
gen() { "$JAVA_HOME/bin/java" -cp "$root/host/target/lib/*" org.cardbridge.install.MsiRegistration "$@"; }

work=$(mktemp -d)
export WINEPREFIX="$work/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" LC_ALL=C.UTF-8
cleanup() {
  [ -d "$WINEPREFIX" ] && "$(dirname "$wine")/wineserver" -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
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

# --- Installed by Windows Installer (Wine's msiexec) -------------------------------------------------
# The tables as WiX writes them: HKMU is root -1; components of an x64 package are 64-bit (attribute 256).
msiinfo export cardbridge.msi Registry | tr -d '\r' \
  | awk -F'\t' 'BEGIN { OFS = "\t" } NR > 3 && $2 == 4 { $2 = -1 } { print }' > Registry.idt
msiinfo export cardbridge.msi Component | tr -d '\r' \
  | awk -F'\t' 'BEGIN { OFS = "\t" } NR > 3 && $4 % 512 < 256 { $4 += 256 } { print }' > Component.idt
msibuild cardbridge.msi -i Registry.idt
msibuild cardbridge.msi -i Component.idt
[ "$(msiinfo export cardbridge.msi Registry | tail -n +4 | cut -f2 | sort -u | tr -d '\r')" = "-1" ] \
  || fail "the Registry rows' root is not HKMU (-1) after the fix-up"

win() { "$wine" "$@" 2>>wine.log; }
win wineboot -i || fail "Wine could not make its prefix: $(tail -3 wine.log)"
# The key's default value in one view ("" when absent). reg's output is ASCII for these paths.
regval() { win reg query "$1" /ve "/reg:$2" 2>/dev/null | tr -d '\r' | sed -n 's/^ *(Default) *REG_SZ *//p'; }
installed="$WINEPREFIX/drive_c/Program Files/CardBridge"

check_installed() { # hive
  local hive=$1 other k expected v
  [ "$hive" = HKLM ] && other=HKCU || other=HKLM
  for k in "${keys[@]}"; do
    case "$k" in *Mozilla*) expected='C:\Program Files\CardBridge\org.cardbridge.host.firefox.json' ;;
                 *) expected='C:\Program Files\CardBridge\org.cardbridge.host.chrome.json' ;; esac
    v=$(regval "$hive\\$k" 64)
    [ "$v" = "$expected" ] || fail "after msiexec /i: $hive\\$k (64-bit view) is '$v', not $expected"
    [ -z "$(regval "$hive\\$k" 32)" ] || [ "$hive" = HKCU ] || fail "$hive\\$k was written to the 32-bit view (WOW6432Node)"
    [ -z "$(regval "$other\\$k" 64)" ] || fail "$other\\$k was written too"
  done
  for fam in chrome firefox; do
    [ -f "$installed/org.cardbridge.host.$fam.json" ] || fail "the $fam manifest is not installed"
  done
  [ -f "$installed/CardBridge.exe" ] || fail "the launcher is not installed"
  log "ok  msiexec /i ($hive): ${#keys[@]} keys in the 64-bit view, each naming its family's manifest; both manifests beside the launcher"
}

check_removed() { # hive
  local hive=$1 k
  for k in "${keys[@]}"; do
    [ -z "$(regval "$hive\\$k" 64)$(regval "$hive\\$k" 32)" ] || fail "after msiexec /x: $hive\\$k is left"
  done
  [ ! -e "$installed" ] || fail "after msiexec /x: $(find "$installed" | head -5) left"
  log "ok  msiexec /x ($hive): every key and file removed"
}

win msiexec /i cardbridge.msi /qn /l*v install-machine.log ALLUSERS=1 || fail "msiexec /i (all users) failed: $(tail -5 install-machine.log)"
check_installed HKLM
win msiexec /x cardbridge.msi /qn /l*v remove-machine.log || fail "msiexec /x (all users) failed: $(tail -5 remove-machine.log)"
check_removed HKLM

# jpackage --win-per-user-install: no ALLUSERS, so HKMU is HKCU.
win msiexec /i cardbridge.msi /qn /l*v install-user.log ALLUSERS="" || fail "msiexec /i (one user) failed: $(tail -5 install-user.log)"
check_installed HKCU
win msiexec /x cardbridge.msi /qn /l*v remove-user.log ALLUSERS="" || fail "msiexec /x (one user) failed: $(tail -5 remove-user.log)"
check_removed HKCU
log "passed: installed and removed by Windows Installer (Wine's), for all users and for one"
