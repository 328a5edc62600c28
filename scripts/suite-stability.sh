#!/usr/bin/env bash
# Runs the whole suite N times in a row and says, per run, its exit code, wall time and the tests that
# failed; each run's output stays in $OUT/run-K.log. Issue 22's stability check on this machine:
#   scripts/suite-stability.sh 10                                  # quiet, 10 in a row
#   stress-ng --cpu 2 & scripts/suite-stability.sh 3; kill %1      # beside CPU load (apt-get install stress-ng)
#   scripts/suite-stability.sh 1 taskset -c 0                      # on one CPU
# Arguments after N prefix the test command. Exit code: 0 when every run was green.
set -u
n=${1:?usage: scripts/suite-stability.sh N [PREFIX COMMAND...]}
shift
cd "$(dirname "$0")/.."
out=${OUT:-$(mktemp -d /tmp/versus-stability.XXXXXX)}
mkdir -p "$out"
cargo test --release --workspace --lib --bins --tests --no-run -q || exit 2
red=0
for k in $(seq 1 "$n"); do
    start=$(date +%s)
    "$@" cargo test --release --workspace --lib --bins --tests > "$out/run-$k.log" 2>&1
    rc=$?
    failed=$(grep '^test .* FAILED$' "$out/run-$k.log" | sed 's/^test //; s/ \.\.\. FAILED$//' | tr '\n' ' ')
    echo "run $k/$n: rc=$rc $(( $(date +%s) - start )) s${failed:+ failed: $failed}"
    [ "$rc" -eq 0 ] || red=1
done
echo "logs: $out"
exit "$red"
