#!/bin/sh
# The AOT training's card (host/pom.xml, installer/build-deb.sh): a SoftHSM2 token in DIR holding an RSA key
# and its self-signed certificate, made with Debian's own tools, so that AotTraining can train a page's first
# listTokens/listCertificates on a real PKCS#11 module. Prints the module's path (for CARDBRIDGE_AOT_MODULE);
# SOFTHSM2_CONF is DIR/softhsm2.conf. Without SoftHSM2, OpenSC's pkcs11-tool or openssl it prints nothing and
# says so on stderr: the cache is then trained on hellos only (a page's first card answer is slower). Under
# CI=true that is an error instead.
#   training-token.sh DIR
set -eu
dir=$1
missing() {
  echo "training-token.sh: $1 — the AOT cache is trained without a card (install softhsm2, opensc and openssl)" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  exit 0
}
module=""
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so \
         /opt/homebrew/lib/softhsm/libsofthsm2.so; do
  if [ -f "$m" ]; then module=$m; break; fi
done
[ -n "$module" ] || missing "no SoftHSM2 module found"
for tool in softhsm2-util pkcs11-tool openssl; do
  command -v "$tool" >/dev/null 2>&1 || missing "$tool is not installed"
done
rm -rf "$dir"
mkdir -p "$dir/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$dir" > "$dir/softhsm2.conf"
export SOFTHSM2_CONF="$dir/softhsm2.conf"
pin=246810
softhsm2-util --init-token --free --label "CardBridge AOT" --pin $pin --so-pin 13579246 >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.der" -outform DER \
  -subj "/CN=CardBridge AOT training/C=PL" -days 3650 2>/dev/null
softhsm2-util --import "$dir/key.pem" --token "CardBridge AOT" --label training --id 01 --pin $pin >/dev/null
pkcs11-tool --module "$module" --token-label "CardBridge AOT" --login --pin $pin \
  --write-object "$dir/cert.der" --type cert --id 01 --label training >/dev/null 2>&1
rm -f "$dir/key.pem"
echo "$module"
