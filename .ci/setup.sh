# shellcheck shell=bash
# Sourced by .ci/test, .ci/demo and .ci/run: installs what CardBridge needs, only where missing,
# and exports JAVA_HOME for a JDK 25. Safe to source again.

cb_log() { printf 'cardbridge setup: %s\n' "$*" >&2; }

# System packages the build and the tests use (real parts, not mocks: SoftHSM2, OpenSC, pcscd, Chromium;
# openssl's CMP mock server, reached with curl inside its own network namespace set up with iproute2;
# NSS's modutil/certutil and p11-kit for TLS client authentication with the card; python3 holds an
# SQLite lock on an NSS database in ClientAuthIT).
CB_PACKAGES="softhsm2 opensc pcscd openssl curl iproute2 pcsc-tools libpcsclite1 chromium chromium-driver xvfb xdotool x11-utils imagemagick vsmartcard-vpcd nodejs fakeroot firefox-esr libxml2-utils wixl msitools rpm cpio wine64 shellcheck libnss3-tools p11-kit p11-kit-modules python3"
# GLib for SandboxLaunchIT (the host started as xdg-desktop-portal and xdg-native-messaging-proxy start it);
# unzip for installer/build-extension.sh's check of the store packages.
CB_PACKAGES="$CB_PACKAGES python3-gi gir1.2-glib-2.0 unzip"
# Firefox's Polish UI (its langpack), so the browser tests see the extension's Polish texts in Firefox too.
CB_PACKAGES="$CB_PACKAGES firefox-esr-l10n-pl"

cb_install_packages() {
  local missing=""
  for p in $CB_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    cb_log "missing packages:$missing — install them with your package manager (no apt-get here)"
    return 1
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  cb_log "installing:$missing"
  $sudo apt-get update -qq >/dev/null && \
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

cb_java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }

cb_find_jdk25() {
  local c
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 /usr/lib/jvm/*25* /opt/java/*25* "$HOME"/.sdkman/candidates/java/25*; do
    [ -n "$c" ] && [ -x "$c/bin/javac" ] || continue
    if [ "$(cb_java_major "$c")" = "25" ]; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

cb_setup() {
  cb_install_packages || return 1
  local jdk
  if ! jdk=$(cb_find_jdk25); then
    cb_log "no JDK 25 found. CardBridge needs Java 25: install Temurin 25 (or any JDK 25) and set JAVA_HOME to it."
    return 1
  fi
  export JAVA_HOME="$jdk"
  export PATH="$JAVA_HOME/bin:$PATH"
}
