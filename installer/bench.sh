#!/usr/bin/env bash
# Benchmark of the packaged host (not a test: it asserts nothing, it measures and writes
# installer/target/benchmarks-install.md). Needs a package build (installer/build-deb.sh) or an installed package.
#
#   installer/bench.sh [app-dir]     app-dir: /opt/cardbridge when installed, else the build's staging tree
#
# Rows: spawn -> answer to hello, median of N runs, for
#   - the packaged host (bundled runtime started directly, AOT cache),
#   - the same without its AOT cache (what the cache buys),
#   - a bare JVM "hello world" host on the same runtime (no libraries; the issue's baseline),
#   - a trivial C host (the floor: process spawn + pipes),
# then the packaged host's idle RSS after answering, and the .deb's size.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. .ci/setup.sh
cb_setup >/dev/null
runs=${BENCH_RUNS:-25}
app=${1:-}
if [ -z "$app" ]; then
  if [ -x installer/target/stage/opt/cardbridge/bin/cardbridge-host ]; then app=$root/installer/target/stage/opt/cardbridge
  elif [ -x /opt/cardbridge/bin/cardbridge-host ]; then app=/opt/cardbridge
  else echo "bench: build the package first: installer/build-deb.sh" >&2; exit 1; fi
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/spawn-hello" installer/bench/spawn-hello.c
gcc -O2 -o "$work/echo-host" installer/bench/echo-host.c 2>/dev/null
"$JAVA_HOME/bin/javac" --release 25 -d "$work" installer/bench/BareHello.java
export CARDBRIDGE_STATE_DIR=$work/state CARDBRIDGE_POLICY=$work/no-policy.json
origin=chrome-extension://ofgjjddghmifhcdedhlchefmbecfflch/
java=$app/lib/runtime/bin/java
flags=$(sed -n 's:.*<cardbridge.jvm.options>\(.*\)</cardbridge.jvm.options>.*:\1:p' pom.xml)
# The packaged launcher's java command without the AOT cache, for the "what the cache buys" row.
noaot=$work/host-noaot
sed 's/ -XX:AOTCache="[^"]*"//' "$app/bin/cardbridge-host" | sed "s|^app=.*|app=$app|" > "$noaot"
chmod 755 "$noaot"

# Each program is measured in rounds that alternate with the others (5 rounds of runs/5), and the
# median is taken over all its samples: a shared machine's load then weighs on every row alike.
samples() { "$work/spawn-hello" "$@" | sed 's/.*samples_ms=//'; }
median() { tr ',' '\n' | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "bench: warming up" >&2
"$work/spawn-hello" 3 "$app/bin/cardbridge-host" "$origin" >/dev/null
echo "bench: $runs runs each, in 5 alternating rounds" >&2
per_round=$(( (runs + 4) / 5 ))
host_s="" noaot_s="" bare_s="" c_s=""
for _ in 1 2 3 4 5; do
  host_s="$host_s,$(samples "$per_round" "$app/bin/cardbridge-host" "$origin")"
  bare_s="$bare_s,$(samples "$per_round" "$java" $flags -cp "$work" BareHello)"
  noaot_s="$noaot_s,$(samples "$per_round" "$noaot" "$origin")"
  c_s="$c_s,$(samples "$per_round" "$work/echo-host")"
done
host_ms=$(echo "${host_s#,}" | median)
noaot_ms=$(echo "${noaot_s#,}" | median)
bare_ms=$(echo "${bare_s#,}" | median)
c_ms=$(echo "${c_s#,}" | median)
host_rss=$("$work/spawn-hello" -r 3 "$app/bin/cardbridge-host" "$origin")
bare_rss=$("$work/spawn-hello" -r 3 "$java" $flags -cp "$work" BareHello)
rss_kib=$(echo "$host_rss" | sed 's/.*idle_rss_kib=\([0-9]*\).*/\1/')
anon_kib=$(echo "$host_rss" | sed 's/.*idle_anon_kib=\([0-9]*\).*/\1/')
bare_rss_kib=$(echo "$bare_rss" | sed 's/.*idle_rss_kib=\([0-9]*\).*/\1/')
deb=$(ls -1 installer/target/cardbridge_*.deb 2>/dev/null | head -1 || true)
deb_bytes=$([ -n "$deb" ] && stat -c %s "$deb" || echo 0)

ratio=$(awk -v a="$host_ms" -v b="$bare_ms" 'BEGIN { printf "%.2f", a / b }')
rss_mib=$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')
bare_rss_mib=$(awk -v k="$bare_rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')
anon_mib=$(awk -v k="$anon_kib" 'BEGIN { printf "%.1f", k / 1024 }')
deb_mib=$(awk -v b="$deb_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "met" : "NOT met") }'; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)

mkdir -p installer/target   # the results are copied by hand into docs/benchmarks.md
cat > installer/target/benchmarks-install.md <<EOF
## Installed host

Measured by \`installer/bench.sh\` on $(date -u +%Y-%m-%d): $(nproc) CPU(s) ($cpu), load average
$(cut -d' ' -f1-3 /proc/loadavg) while measuring (the machine is shared; absolute numbers move with the
load, the ratios much less), Java $("$java" -version 2>&1 | head -1 | cut -d'"' -f2), host tree \`$app\`.
Each row: the driver (\`installer/bench/spawn-hello.c\`) starts the program the way a browser does
(argv + pipes), sends one framed \`hello\`, and stops the clock at the framed answer; median of $runs runs taken in 5 rounds that alternate between the rows.

| What is started | spawn → hello answer (median) |
|---|---|
| packaged host: \`bin/cardbridge-host\` (sh → bundled java, AOT cache) | $host_ms ms |
| the same without its AOT cache | $noaot_ms ms |
| bare JVM "hello world" host on the same runtime (default CDS, same flags) | $bare_ms ms |
| trivial C host (the floor) | $c_ms ms |

| Target | Measured | |
|---|---|---|
| host spawn → hello ≤ 1.5 × bare JVM | $ratio × | $(verdict "$ratio" 1.5) |
| idle RSS ≤ 48 MiB (after answering hello, 2 s idle; bare JVM host: $bare_rss_mib MiB) | $rss_mib MiB, of which private $anon_mib MiB | $(verdict "$rss_mib" 48) |
| \`.deb\` ≤ 45 MiB | $deb_mib MiB ($(basename "${deb:-none}")) | $(verdict "$deb_mib" 45) |

The manifest's \`path\` is \`/opt/cardbridge/bin/cardbridge-host\`, a 10-line \`sh\` script that execs the
bundled runtime's \`java\` with \`-Xlog:disable -Xlog:all=warning:stderr\`, the AOT cache and the class path
— not jpackage's Linux launcher, which runs \`dpkg -S\` on every start.
EOF
cat installer/target/benchmarks-install.md
