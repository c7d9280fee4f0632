#!/usr/bin/env bash
# CI check of the Linux package, as root on a throw-away machine: build the .deb, install it with
# dpkg -i, check every system-wide manifest location (content and the host it names), run doctor,
# then dpkg -r and dpkg -P and check nothing is left. Idempotent: a leftover cardbridge package from an
# interrupted run is purged first.
#
#   installer/ci-deb-test.sh [path/to/cardbridge.deb]     (without an argument it builds one, --fast)
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf 'ci-deb-test: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }
# A failed run must not leave the package behind: later test runs on the same machine (the browser
# tests that need no system-wide manifest) would see it.
installed=""
scratch=""
cleanup() {
  status=$?
  [ -n "$scratch" ] && rm -rf "$scratch"
  if [ $status -ne 0 ] && [ -n "$installed" ]; then
    log "purging the package after the failure"
    dpkg -P cardbridge >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
  # GitHub's runners are a user with password-less sudo; keep the environment (JAVA_HOME, HOME, PATH).
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n -E env "PATH=$PATH" bash "$0" "$@"
  fi
  log "needs root (dpkg -i) and there is no password-less sudo: skipped"
  exit 0
fi
. .ci/setup.sh
cb_setup

deb=${1:-}
if [ -z "$deb" ]; then
  deb=$(installer/build-deb.sh --fast | tail -1)
fi
[ -f "$deb" ] || fail "no package at $deb"

if dpkg-query -W -f='${Status}' cardbridge 2>/dev/null | grep -q installed; then
  log "purging a cardbridge package left from an earlier run"
  dpkg -P cardbridge >/dev/null
fi

log "dpkg -i $(basename "$deb")"
installed=1
dpkg -i "$deb" >/dev/null
host=/opt/cardbridge/bin/cardbridge-host
[ -x "$host" ] || fail "$host is not installed"

# Every location browsers.json names (the host regenerates the set into a scratch root) must hold
# exactly that manifest on the real system, and name the installed host.
scratch=$(mktemp -d)
CARDBRIDGE_STATE_DIR=$scratch/state "$host" install --system --root "$scratch/root" --host-path "$host" \
  --policy /etc/cardbridge/policy.json >/dev/null
expected=$(cd "$scratch/root" && find . -name org.cardbridge.host.json | sed 's|^\.||' | sort)
# 6 folders today (Brave and Opera read Chrome's); fewer means the scratch install lost browsers.
[ "$(echo "$expected" | wc -l)" -ge 6 ] || fail "expected a manifest for every browser directory, got: $expected"
for f in $expected; do
  [ -f "$f" ] || fail "missing system manifest $f"
  cmp -s "$scratch/root$f" "$f" || fail "system manifest $f differs from what the host generates"
  dpkg -S "$f" >/dev/null 2>&1 || fail "$f is not owned by the package"
  log "ok  $f"
done
[ -f /etc/cardbridge/policy.json ] || fail "no policy template at /etc/cardbridge/policy.json"
grep -qx /etc/cardbridge/policy.json /var/lib/dpkg/info/cardbridge.conffiles || fail "policy.json is not a conffile"

# doctor as a user with an empty HOME: only the system-wide registration counts. It needs pcscd.
# A socket file alone proves nothing (a killed pcscd leaves it behind, and on some machines the
# service behind it cannot start), so ask a real PC/SC client; when it gets no answer, start a pcscd
# that exits by itself when idle. Its reader.conf.d is an empty directory: serial-style drivers
# (vpcd's TCP port) stay free for others.
pcsc_answers() { timeout 10 pcsc_scan -r >/dev/null 2>&1; }
if ! pcsc_answers; then
  log "no pcscd answers; starting one (--auto-exit, no serial readers)"
  mkdir -p "$scratch/reader.conf.d"
  pcscd --auto-exit --config "$scratch/reader.conf.d" || fail "pcscd did not start"
  for _ in $(seq 50); do pcsc_answers && break; sleep 0.2; done
  pcsc_answers || fail "pcscd started but a PC/SC client still gets no answer"
fi
doctor_home=$scratch/home
mkdir -p "$doctor_home"
log "cardbridge-host doctor"
if ! HOME=$doctor_home CARDBRIDGE_STATE_DIR=$scratch/state cardbridge-host doctor; then
  fail "doctor reports problems on a fresh install"
fi
report=$(HOME=$doctor_home CARDBRIDGE_STATE_DIR=$scratch/state cardbridge-host doctor --json || true)
if [ -x /usr/bin/chromium ]; then
  echo "$report" | grep -A1 '"code" : "doctor.helloOk"' | grep -q '"subject" : "chromium"' \
    || fail "doctor did not reach the installed host as Chromium starts it: $report"
fi

# A page in Chromium reaching the system-installed host, with no manifest in the browser profile
# (the extension's Chromium fixture; CB_DEB_NO_SELENIUM=1 skips it).
if [ -z "${CB_DEB_NO_SELENIUM:-}" ]; then
  log "Selenium: Chromium -> extension -> system-installed host"
  ./mvnw -B -q -ntp -pl host verify -Dit.test=SystemInstalledHostIT -Dtest=NONE \
    -Dsurefire.failIfNoSpecifiedTests=false -Dcardbridge.systemHost=true \
    || fail "the Selenium test did not reach the system-installed host"
fi

log "dpkg -r cardbridge"
dpkg -r cardbridge >/dev/null
for f in $expected /usr/bin/cardbridge-host; do
  [ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f is left after dpkg -r"
done
[ ! -e /opt/cardbridge ] || fail "/opt/cardbridge is left after dpkg -r: $(find /opt/cardbridge | head -5)"
# Debian keeps a removed package's conffiles until purge.
[ -f /etc/cardbridge/policy.json ] || fail "dpkg -r removed the conffile (it must stay until purge)"
log "dpkg -P cardbridge"
dpkg -P cardbridge >/dev/null
[ ! -e /etc/cardbridge ] || fail "/etc/cardbridge is left after purge"
if dpkg-query -W cardbridge >/dev/null 2>&1 && dpkg-query -W -f='${Status}' cardbridge | grep -qv not-installed; then
  fail "dpkg still lists cardbridge"
fi
log "passed: installed, registered for every browser, doctor clean, removed without a trace"
