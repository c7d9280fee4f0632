#!/usr/bin/env bash
# Benchmarks of the host (not tests: numbers go to docs/benchmarks.md by hand, with the machine noted).
#   host/bench/run.sh [OLD_LAUNCHER]   JMH protocol round trip, spawn → hello, and spawn → a page's first
#                                      listTokens/listCertificates answers on SoftHSM2 with the RSS then;
#                                      sign per request vs direct SunPKCS11 and a 700 KB CMS (SignBenchmark);
#                                      RSS after 1,000 mixed requests (RequestsBenchmark)
# OLD_LAUNCHER: another build's host/target/cardbridge-host (e.g. main's, built in a copy of the tree), measured
# in the same rounds as this build's, so the two compare by ratios taken within one run. BENCH_RUNS: rounds
# (default 20). Absolute numbers move with the machine's load; ratios within one run much less.
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/setup.sh
cb_setup
./mvnw -B -q -ntp package -DskipTests
./mvnw -B -q -ntp -pl host dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
cp="host/target/test-classes:host/target/classes:$(cat host/target/test.classpath)"
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
echo "== JMH: protocol round trip"
"$JAVA_HOME/bin/java" -cp "$cp" org.openjdk.jmh.Main ProtocolBenchmark -foe true
echo "== spawn → hello"
opts=$(sed -n 's:.*<cardbridge.jvm.options>\(.*\)</cardbridge.jvm.options>.*:\1:p' pom.xml)
"$JAVA_HOME/bin/java" -Dcardbridge.launcher="$PWD/host/target/cardbridge-host" -Dcardbridge.jvm.options="$opts" \
  -cp "$cp" org.cardbridge.bench.SpawnBenchmark "${BENCH_RUNS:-20}"
echo "== spawn → first listTokens / listCertificates answers (SoftHSM2), hello, RSS"
launchers=("now=$PWD/host/target/cardbridge-host")
[ -n "${1:-}" ] && launchers+=("old=$1")
"$JAVA_HOME/bin/java" -Dcardbridge.jvm.options="$opts" -cp "$cp" org.cardbridge.bench.FirstAnswerBenchmark "${BENCH_RUNS:-20}" "${launchers[@]}"
echo "== sign per request vs direct SunPKCS11 sign + verify, CMS of 700 KB (in-process host over pipes, shipped JVM options)"
exports=$(sed -n 's:.*<cardbridge.pkcs11.exports>\(.*\)</cardbridge.pkcs11.exports>.*:\1:p' pom.xml)
signdir=$(mktemp -d)
# shellcheck disable=SC2086 # the options are a list
SOFTHSM2_CONF=$signdir/softhsm2.conf "$JAVA_HOME/bin/java" $opts $exports -cp "$cp" org.cardbridge.bench.SignBenchmark "${BENCH_RUNS:-20}"
rm -rf "$signdir"
echo "== RSS after the first card answers and after 1,000 mixed requests (real launcher and pipes)"
"$JAVA_HOME/bin/java" -cp "$cp" org.cardbridge.bench.RequestsBenchmark "${BENCH_RUNS:-20}" "${launchers[@]}"
