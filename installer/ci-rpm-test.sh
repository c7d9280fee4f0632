#!/usr/bin/env bash
# CI check of the .rpm on a Debian machine, where an RPM package cannot be installed for real (no RPM
# system, no dependency resolution). What can be checked is checked on the package itself and on a copy
# installed by rpm into a scratch root (--nodeps --noscripts; the package has no scripts anyway):
#   - every manifest location browsers.json names for Linux system scope (every listed folder, so also
#     /usr/lib64/mozilla) is a package file, identical to what the packaged host generates;
#   - the launcher execs the bundled java directly (no jpackage launcher, nothing that queries rpm/dpkg),
#     answers hello as a browser starts it, and its AOT cache is usable where rpm put it;
#   - the policy template is %config(noreplace); no install/remove scriptlets or triggers;
#   - requirements: pcscd, OpenSC and the dlopened libraries named, nothing the package ships itself,
#     and the package provides nothing but itself;
#   - rpm -e leaves nothing behind.
#
#   installer/ci-rpm-test.sh [path/to/cardbridge.rpm]   (without an argument it builds one, --fast)
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf 'ci-rpm-test: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }
. .ci/setup.sh
cb_setup
command -v rpmbuild >/dev/null 2>&1 || fail "rpmbuild is missing (Debian package rpm)"

pkg=${1:-}
if [ -z "$pkg" ]; then
  installer/build-deb.sh --fast >/dev/null
  pkg=$(ls installer/target/cardbridge-*.rpm | head -1)
fi
[ -f "$pkg" ] || fail "no package at $pkg"
log "checking $(basename "$pkg")"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
db=(--root "$root" --dbpath /var/lib/rpm)
listed=$(rpm -qpl "$pkg" 2>/dev/null)

if [ "$(id -u)" -eq 0 ]; then
  rpm "${db[@]}" --initdb
  rpm "${db[@]}" -i --nodeps --noscripts --notriggers "$pkg" 2>/dev/null || fail "rpm -i into a scratch root failed"
else
  # rpm cannot install into a root as a user (it sets owners); the payload is the same.
  command -v cpio >/dev/null 2>&1 || fail "cpio is missing (Debian package cpio)"
  mkdir -p "$root" && rpm2cpio "$pkg" | (cd "$root" && cpio -idm --quiet)
fi
prefix=/opt/cardbridge
host=$prefix/bin/cardbridge-host
[ -x "$root$host" ] || fail "$host is not in the package"

# Every folder browsers.json lists for Linux, system-wide: the packaged host regenerates the set.
CARDBRIDGE_STATE_DIR=$work/state "$root$host" install --system --root "$work/expected" \
  --host-path "$host" --policy "$root/etc/cardbridge/policy.json" >/dev/null
expected=$(cd "$work/expected" && find . -name org.cardbridge.host.json | sed 's|^\.||' | sort)
# 6 first folders (Brave and Opera share Chrome's) and Firefox's second, /usr/lib64/mozilla.
[ "$(echo "$expected" | wc -l)" -ge 7 ] || fail "expected a manifest for every listed folder, got: $expected"
echo "$expected" | grep -qx /usr/lib64/mozilla/native-messaging-hosts/org.cardbridge.host.json \
  || fail "no manifest in /usr/lib64/mozilla, where Fedora's and openSUSE's 64-bit Firefox look"
for f in $expected; do
  grep -qx "$f" <<<"$listed" || fail "$f is not a package file"
  cmp -s "$work/expected$f" "$root$f" || fail "$f differs from what the host generates"
  grep -q "\"path\" : \"$host\"" "$root$f" || fail "$f does not name $host"
  log "ok  $f"
done

# The launcher: the bundled java, directly; no jpackage launcher; nothing that asks rpm or dpkg anything.
launcher=$root$host
[ "$(head -1 "$launcher")" = "#!/bin/sh" ] || fail "$host is not the sh launcher"
grep -q 'exec "$app/lib/runtime/bin/java" -Xlog:disable -Xlog:all=warning:stderr' "$launcher" \
  || fail "$host does not exec the bundled java with JVM logging off stdout"
grep -q -- '-XX:AOTCache="$app/lib/cardbridge.aot"' "$launcher" || fail "$host does not use the AOT cache"
! grep -qE '\b(rpm|dpkg)\b' "$launcher" || fail "$host queries the package manager"
[ -s "$root$prefix/lib/cardbridge.aot" ] || fail "no AOT cache in the package"
[ ! -e "$root$prefix/bin/cardbridge" ] && [ ! -e "$root$prefix/lib/libapplauncher.so" ] || fail "jpackage's launcher is packaged"
[ "$(readlink "$root/usr/bin/cardbridge-host")" = "$host" ] || fail "/usr/bin/cardbridge-host does not link to $host"

# Started as Chrome starts it, the packaged host answers hello (framed stdio).
frame() { printf "\\$(printf %o ${#1})\\000\\000\\000%s" "$1"; }
frame '{"id":"1","op":"hello","origin":"cardbridge:extension","params":{}}' \
  | CARDBRIDGE_STATE_DIR=$work/state CARDBRIDGE_POLICY=$root/etc/cardbridge/policy.json \
    "$launcher" chrome-extension://ofgjjddghmifhcdedhlchefmbecfflch/ >"$work/hello.out" 2>"$work/hello.err" \
  || fail "the packaged host exited with an error: $(cat "$work/hello.err")"
answer=$(tail -c +5 "$work/hello.out")
grep -q '"id":"1","result":{"host":' <<<"$answer" || fail "no hello answer: $(cat "$work/hello.out") $(cat "$work/hello.err")"
[ ! -s "$work/hello.err" ] || fail "the packaged host wrote to stderr: $(cat "$work/hello.err")"
log "ok  hello answered by the packaged host"
# -XX:AOTMode=on makes the JVM refuse to start when the cache cannot be used (e.g. recorded for other flags).
sed 's/-XX:AOTCache=/-XX:AOTMode=on -XX:AOTCache=/' "$launcher" > "$root$prefix/bin/aot-check"
sh "$root$prefix/bin/aot-check" version >/dev/null 2>"$work/aot.err" || fail "the AOT cache is unusable where rpm installs it: $(cat "$work/aot.err")"
rm "$root$prefix/bin/aot-check"
log "ok  AOT cache usable at $prefix"

# The policy template is a config file that upgrades keep when edited; the package runs no scripts.
# (Output captured before grep: with pipefail, grep -q closing the pipe early would fail the pipeline.)
flags=$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$pkg" 2>/dev/null)
grep -qx 'cn /etc/cardbridge/policy.json' <<<"$flags" || fail "/etc/cardbridge/policy.json is not %config(noreplace)"
[ -z "$(rpm -qp --scripts "$pkg" 2>/dev/null)" ] || fail "the package has scriptlets: $(rpm -qp --scripts "$pkg")"
[ -z "$(rpm -qp --triggers "$pkg" 2>/dev/null)" ] || fail "the package has triggers"

requires=$(rpm -qp --requires "$pkg" 2>/dev/null)
for r in pcsc-lite opensc 'libpcsclite.so.1()(64bit)' 'libfontconfig.so.1()(64bit)' 'libc.so.6()(64bit)'; do
  grep -qxF "$r" <<<"$requires" || fail "does not require $r: $requires"
done
for lib in $(grep -o '^lib[^(]*\.so[^(]*' <<<"$requires" | sort -u); do
  [ -z "$(find "$root$prefix" -name "$lib" -print -quit)" ] || fail "requires $lib, which it ships itself"
done
provides=$(rpm -qp --provides "$pkg" 2>/dev/null)
[ -z "$(grep -v '^cardbridge' <<<"$provides")" ] || fail "provides more than itself: $provides"
log "ok  requires $(wc -l <<<"$requires") capabilities, none of its own libraries; no scriptlets"

if [ "$(id -u)" -eq 0 ]; then
  rpm "${db[@]}" -e --noscripts cardbridge 2>/dev/null || fail "rpm -e failed"
  left=$(cd "$root" && find . -mindepth 1 \( -type f -o -type l \) -not -path './var/lib/rpm*' | head -5)
  [ -z "$left" ] || fail "left after rpm -e: $left"
  left=$(cd "$root" && find . -mindepth 1 -type d \( -path './opt/cardbridge*' -o -path './etc/cardbridge*' \
    -o -name native-messaging-hosts -o -path './usr/share/doc/cardbridge*' \) | head -5)
  [ -z "$left" ] || fail "folders left after rpm -e: $left"
  log "ok  rpm -e leaves nothing"
fi
log "passed: every listed manifest folder, direct launcher with a usable AOT cache, config file, no scripts"
