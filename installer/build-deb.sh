#!/usr/bin/env bash
# Builds the CardBridge Linux package: a jlinked runtime with only the modules the host uses (jdeps),
# a JDK 25 AOT cache trained on a real hello exchange, a jpackage app-image, and from it a .deb (and an
# .rpm when rpmbuild is installed). Output: installer/target/cardbridge_<version>_<arch>.deb (its path is
# the last line printed) and installer/target/cardbridge-<version>-<release>.<arch>.rpm
#
#   installer/build-deb.sh [--origin https://ca.example[=read,sign,enroll]]... [--extension-id ID]...
#                          [--version-suffix +ca1] [--skip-maven] [--fast] [--no-rpm]
#
# --origin / --extension-id make a CA's branded package: its origins go into the policy template
# (/etc/cardbridge/policy.json, a conffile) and its extension ids into the policy and the manifests.
#
# Why not jpackage --type deb: the browsers start the host on every message, and jpackage's Linux
# launcher runs `dpkg -S` first (70-100 ms); its deb also cannot carry a conffile in /etc. So jpackage
# lays out the app-image, bin/cardbridge-host execs the bundled java directly, and dpkg-deb packs it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. .ci/setup.sh
cb_setup

origins=() ; ext_ids=() ; suffix="" ; skip_maven="" ; xz_level=6 ; no_rpm=""
while [ $# -gt 0 ]; do
  case "$1" in
    --origin) origins+=("$2"); shift 2 ;;
    --extension-id) ext_ids+=("$2"); shift 2 ;;
    --version-suffix) suffix="$2"; shift 2 ;;
    --skip-maven) skip_maven=1; shift ;;
    --fast) xz_level=1; shift ;;   # CI: same package, quicker (larger) compression
    --no-rpm) no_rpm=1; shift ;;   # only the .deb, even where rpmbuild is installed
    *) echo "build-deb: unknown argument $1" >&2; exit 2 ;;
  esac
done

prefix=/opt/cardbridge            # where the package installs; manifests name $prefix/bin/cardbridge-host
out=$root/installer/target
stage=$out/stage
version=$(sed -n 's/.*String HOST = "\(.*\)";.*/\1/p' host/src/main/java/org/cardbridge/host/Version.java)$suffix
arch=$(dpkg --print-architecture)
# The JVM flags every launch needs are defined once, in the root pom (cardbridge.pkcs11.exports).
exports=$(sed -n 's:.*<cardbridge.pkcs11.exports>\(.*\)</cardbridge.pkcs11.exports>.*:\1:p' pom.xml)
[ -n "$exports" ] || { echo "build-deb: cardbridge.pkcs11.exports not found in pom.xml" >&2; exit 1; }
# Every start: JVM logging off on stdout (it is the message channel), warnings to stderr; small, fast VM.
jvm_opts=$(sed -n 's:.*<cardbridge.jvm.options>\(.*\)</cardbridge.jvm.options>.*:\1:p' pom.xml)
[ -n "$jvm_opts" ] || { echo "build-deb: cardbridge.jvm.options not found in pom.xml" >&2; exit 1; }

log() { printf 'build-deb: %s\n' "$*" >&2; }

if [ -z "$skip_maven" ] || [ ! -f host/target/lib/cardbridge-host.jar ]; then
  log "building the host"
  ./mvnw -B -q -ntp -pl host package -DskipTests
fi
rm -rf "$out"
mkdir -p "$out/input"
# The host's jar is copied into lib/ by the host build; one directory holds exactly the class path.
cp host/target/lib/*.jar "$out/input/"
# host/target/lib already holds Bouncy Castle unsigned (host/pom.xml says why): the AOT cache needs it.
log "jdeps: modules the host needs"
modules=$("$JAVA_HOME/bin/jdeps" --ignore-missing-deps --multi-release 25 --print-module-deps \
  --class-path "$out/input/*" "$out"/input/*.jar 2>/dev/null | tail -1)
# Not visible to jdeps: SunPKCS11 (loaded as a provider) and javax.smartcardio (PC/SC events).
modules=$(echo "$modules,jdk.crypto.cryptoki,java.smartcardio,java.logging" | tr , "\n" | sort -u | paste -sd,)
log "jlink: $modules"
# --generate-cds-archive: the runtime's default CDS, used when the AOT cache cannot be (and by the benchmark's bare JVM).
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --generate-cds-archive --output "$out/runtime"
# The no-compressed-oops archive serves heaps over 32 GB only; the launcher caps the heap far below.
rm -f "$out/runtime/lib/server/classes_nocoops.jsa"

log "jpackage: app-image"
"$JAVA_HOME/bin/jpackage" --type app-image --name cardbridge --app-version "${version%%[+~-]*}" \
  --runtime-image "$out/runtime" --input "$out/input" --main-jar cardbridge-host.jar \
  --main-class org.cardbridge.host.Main --dest "$out/app-image"
app=$out/app-image/cardbridge
# The class path in a fixed order (the AOT cache records it), as the installed launcher will use it.
cp_rel=$(cd "$app/lib/app" && ls *.jar | sort | sed "s|^|lib/app/|" | paste -sd:)

# The launcher browsers start: the bundled java, directly. Paths are resolved from the script's own
# location, so the same file works in the staging tree (training, tests) and under $prefix.
rm -f "$app/bin/cardbridge" "$app/lib/app/cardbridge.cfg" "$app/lib/cardbridge.png" "$app/lib/libapplauncher.so"
cat > "$app/bin/cardbridge-host" <<EOF
#!/bin/sh
# CardBridge native-messaging host (and CLI). Browsers start this on every connectNative/sendNativeMessage,
# so it execs the bundled runtime directly. stdout is the message channel: JVM logging stays off it.
self=\$0
[ -L "\$self" ] && self=\$(readlink -f "\$self")
# A relative start (bin/cardbridge-host, ./cardbridge-host) is made absolute: app and manifests need it.
case "\$self" in
  /*) ;;
  *) self=\$PWD/\$self ;;
esac
app=\${self%/bin/*}
# Started by a browser (LaunchMode.of's rule): fd 1 becomes stderr and the real stdout fd 3, where the
# frames go, so native code printing cannot corrupt them. The CLI keeps its stdout.
frames=""
case "\$1" in
  chrome-extension://*) frames=1 ;;
  *.json|*.JSON) [ \$# -ge 2 ] && frames=1 ;;
esac
# No argument from Ubuntu's WebExtensions portal before Nov 2023: the parent is xdg-desktop-portal.
if [ \$# -eq 0 ] && [ -r "/proc/\$PPID/comm" ]; then
  read -r parent < "/proc/\$PPID/comm"
  [ "\$parent" = "xdg-desktop-por" ] && frames=1
fi
if [ -n "\$frames" ]; then
  exec 3>&1 1>&2
  frames="-Dcardbridge.stdout=/dev/fd/3"
fi
exec "\$app/lib/runtime/bin/java" $jvm_opts -XX:AOTCache="\$app/lib/cardbridge.aot" \\
  \${frames:+"\$frames"} -Dcardbridge.executable="\$app/bin/cardbridge-host" $exports \\
  -cp "$(echo "$cp_rel" | sed 's|lib/app/|$app/lib/app/|g')" org.cardbridge.host.Main "\$@"
EOF
chmod 755 "$app/bin/cardbridge-host"

# The training is the host's own (org.cardbridge.host.AotTraining, also used by the Maven build): a
# browser's start with hellos, then a page's first listTokens/listCertificates on a SoftHSM2 token made
# here (host/src/main/aot/training-token.sh), in a scratch state directory with a scratch policy file.
log "AOT cache: training on a browser's start and a page's first card answer (AotTraining)"
train_dir=$(mktemp -d)
aot_module=$(sh host/src/main/aot/training-token.sh "$train_dir/token") || { rm -rf "$train_dir"; log "AOT training token failed"; exit 1; }
CARDBRIDGE_AOT_MODULE=$aot_module SOFTHSM2_CONF=$train_dir/token/softhsm2.conf \
CARDBRIDGE_STATE_DIR=$train_dir/state CARDBRIDGE_POLICY=$train_dir/policy.json \
  "$app/lib/runtime/bin/java" $jvm_opts -XX:AOTCacheOutput="$app/lib/cardbridge.aot" \
  -Dcardbridge.executable="$app/bin/cardbridge-host" $exports \
  -cp "$(echo "$cp_rel" | sed "s|lib/app/|$app/lib/app/|g")" org.cardbridge.host.AotTraining \
  >"$train_dir/out" 2>"$train_dir/err" || { cat "$train_dir/err" >&2; rm -rf "$train_dir"; log "AOT training failed"; exit 1; }
rm -rf "$train_dir"
[ -s "$app/lib/cardbridge.aot" ] || { log "AOT cache was not written"; exit 1; }

log "staging the package tree"
mkdir -p "$stage$prefix" "$stage/usr/bin" "$stage/etc/cardbridge" "$stage/DEBIAN" "$stage/usr/share/doc/cardbridge"
cp -a "$app/." "$stage$prefix/"
ln -s "$prefix/bin/cardbridge-host" "$stage/usr/bin/cardbridge-host"

# The policy template (conffile): empty unless this is a CA's branded build.
{
  printf '{\n  "origins": ['
  sep=""
  for o in ${origins[@]+"${origins[@]}"}; do
    url=${o%%=*}; classes=read,sign,enroll
    [ "$url" != "$o" ] && classes=${o#*=}
    printf '%s\n    {"origin": "%s", "allow": [%s]}' "$sep" "$url" "$(echo "$classes" | sed 's/\([a-z]*\)/"\1"/g; s/,/, /g')"
    sep=","
  done
  [ -n "$sep" ] && printf '\n  '
  printf '],\n  "extensionIds": ['
  sep=""
  for id in ${ext_ids[@]+"${ext_ids[@]}"}; do printf '%s"%s"' "$sep" "$id"; sep=", "; done
  printf '],\n  "modules": [],\n  "logLevel": "INFO"\n}\n'
} > "$stage/etc/cardbridge/policy.json"

# Manifests for every browser, system-wide, from the one browsers.json — by the host itself, in the
# staged runtime (which checks that runtime works at all).
CARDBRIDGE_STATE_DIR=$(mktemp -d) "$stage$prefix/bin/cardbridge-host" install --system --root "$stage" \
  --host-path "$prefix/bin/cardbridge-host" --policy "$stage/etc/cardbridge/policy.json" >&2

cat > "$stage/usr/share/doc/cardbridge/copyright" <<'EOF'
CardBridge, with a Java runtime built from Eclipse Temurin (GPLv2 with the Classpath Exception),
Jackson (Apache-2.0), picocli (Apache-2.0) and Bouncy Castle (MIT-style Bouncy Castle licence).
EOF

# Shared libraries the runtime links against → the Debian packages providing them (as jpackage does).
rt=$stage$prefix/lib/runtime
libdeps=$(ldd "$rt"/lib/*.so "$rt"/lib/server/libjvm.so 2>/dev/null | awk '/=>/ && $3 ~ /^\// {print $3}' \
  | grep -v "^$rt" | sort -u | while read -r l; do
      for p in "$l" "/usr$l" "$(readlink -f "$l")"; do
        dpkg -S "$p" 2>/dev/null | awk -F': ' -v p="$p" '$2==p {print $1}'
      done | head -1
    done | sed 's/:.*//' | sort -u | paste -sd, | sed 's/,/, /g') || true
[ -n "$libdeps" ] || { log "could not map the runtime's libraries to packages (dpkg -S)"; exit 1; }
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<EOF
Package: cardbridge
Version: $version
Architecture: $arch
Maintainer: CardBridge <packaging@cardbridge.org>
Installed-Size: $size
Depends: $libdeps, libfontconfig1, libpcsclite1, pcscd, opensc-pkcs11
Recommends: opensc, fonts-dejavu-core
Section: utils
Priority: optional
Homepage: https://cardbridge.org
Description: smart-card certificates for web pages (browser native-messaging host)
 CardBridge lets a Certificate Authority's web page renew the certificate on your smart card
 through the CardBridge browser extension. This package installs the native-messaging host
 with its own Java runtime and registers it for Chrome, Chromium, Edge, Brave, Vivaldi, Opera,
 Firefox and LibreWolf for all users. Check the set-up with: cardbridge-host doctor
EOF
echo /etc/cardbridge/policy.json > "$stage/DEBIAN/conffiles"
# Manifests and the host are package files, so dpkg itself removes them; only purge needs a script.
cat > "$stage/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = purge ]; then
  rmdir --ignore-fail-on-non-empty /etc/cardbridge 2>/dev/null || true
fi
exit 0
EOF
chmod 755 "$stage/DEBIAN/postrm"

deb=$out/cardbridge_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz -z"$xz_level" --build "$stage" "$deb" >&2
log "built $deb ($(du -h "$deb" | cut -f1))"

# The .rpm, where rpmbuild is installed (Debian's `rpm` package has it): the same staged tree — the same
# direct-java launcher, AOT cache and policy template — packed for Fedora/openSUSE-style systems.
if [ -n "$no_rpm" ]; then
  log "--no-rpm: no .rpm"
elif command -v rpmbuild >/dev/null 2>&1; then
  log "rpmbuild found: building the .rpm from the same tree"
  rpmtop=$out/rpm
  rpmroot=$rpmtop/root
  mkdir -p "$rpmtop/SPECS" "$rpmroot"
  cp -a "$stage/." "$rpmroot/"
  rm -rf "$rpmroot/DEBIAN"
  # Manifests in every folder a browser may read (these distributions' 64-bit Firefox reads
  # /usr/lib64/mozilla), written by the packaged host, as for the .deb.
  CARDBRIDGE_STATE_DIR=$(mktemp -d) "$rpmroot$prefix/bin/cardbridge-host" install --system --root "$rpmroot" \
    --host-path "$prefix/bin/cardbridge-host" --policy "$rpmroot/etc/cardbridge/policy.json" >&2
  # Libraries the bundled runtime provides itself are not requirements (and the package provides nothing).
  own_libs=$(find "$rpmroot$prefix" -name '*.so*' -printf '%f\n' | sort -u | sed 's/[.]/[.]/g' | paste -sd'|')
  rpm_release=1
  [ -n "$suffix" ] && rpm_release="1.$(printf '%s' "${suffix#[+~-]}" | tr -c 'A-Za-z0-9._\n' '.')"
  zstd_level=19
  [ "$xz_level" = 1 ] && zstd_level=3
  {
    echo "Name: cardbridge"
    echo "Version: ${version%%[+~-]*}"
    echo "Release: $rpm_release"
    echo "Summary: smart-card certificates for web pages (browser native-messaging host)"
    echo "License: Apache-2.0 AND GPL-2.0-only WITH Classpath-exception-2.0 AND MIT"
    echo "URL: https://cardbridge.org"
    # pcscd and OpenSC by package; what the JVM dlopens (not visible to rpm's ELF scan) by soname.
    echo "Requires: pcsc-lite, opensc, libpcsclite.so.1()(64bit), libfontconfig.so.1()(64bit)"
    echo "Recommends: dejavu-sans-fonts"
    # Requirements of the runtime's ELF files come from rpm's own scan (libc, libz, X11 for the dialogs…).
    echo "AutoReq: yes"
    echo "AutoProv: no"
    echo "%global __requires_exclude ^($own_libs)"
    # Files exactly as staged: no stripping, no jar repacking (the AOT cache records the jars), no build-id links.
    echo "%global __os_install_post %{nil}"
    echo "%global debug_package %{nil}"
    echo "%global _build_id_links none"
    echo "%global _binary_payload w${zstd_level}.zstdio"
    echo "%description"
    echo "CardBridge lets a Certificate Authority's web page renew the certificate on your smart card through"
    echo "the CardBridge browser extension. This package installs the native-messaging host with its own Java"
    echo "runtime and registers it for Chrome, Chromium, Edge, Brave, Vivaldi, Opera, Firefox and LibreWolf"
    echo "for all users. Check the set-up with: cardbridge-host doctor"
    echo "%install"
    echo "cp -a '$rpmroot/.' %{buildroot}/"
    # No %post/%preun scripts: the manifests are package files, so rpm itself adds and removes them.
    echo "%files"
    echo "%defattr(-,root,root,-)"
    echo "%config(noreplace) /etc/cardbridge/policy.json"
    (cd "$rpmroot" && find . -mindepth 1 -type d | sed 's|^\.||' | sort \
      | grep -vxE '/etc|/etc/opt|/opt|/usr|/usr/bin|/usr/lib|/usr/lib64|/usr/share|/usr/share/doc' \
      | sed 's/^/%dir "/; s/$/"/')
    (cd "$rpmroot" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort \
      | grep -vx /etc/cardbridge/policy.json | sed 's/^/"/; s/$/"/')
  } > "$rpmtop/SPECS/cardbridge.spec"
  rpmbuild --quiet --define "_topdir $rpmtop" -bb "$rpmtop/SPECS/cardbridge.spec" >&2
  rpm=$(find "$rpmtop/RPMS" -name '*.rpm' | head -1)
  cp "$rpm" "$out/"
  rm -rf "$rpmroot"
  log "built $out/$(basename "$rpm") ($(du -h "$rpm" | cut -f1))"
else
  log "rpmbuild not installed: no .rpm"
fi
echo "$deb"
