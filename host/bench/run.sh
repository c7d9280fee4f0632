#!/usr/bin/env bash
# Benchmarks of the host (not tests: numbers go to docs/benchmarks.md by hand, with the machine noted).
#   host/bench/run.sh            JMH protocol round trip + spawn → hello
# Run on an otherwise idle machine; the numbers are meaningless under load.
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
  -cp "$cp" org.cardbridge.bench.SpawnBenchmark 20
