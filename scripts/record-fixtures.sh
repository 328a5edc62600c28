#!/usr/bin/env bash
# Records the runs the render snapshots draw (src/ui/fixtures.rs) into tests/fixtures/recordings/:
# one per built-in preset (listed by the binary itself, so a new preset gets one with no edit here),
# the default run at the README demo's size, the talk step the talk_step snapshot shows, and a side
# whose worker died. Every figure on a snapshot is then one a real run produced.
#
#   scripts/record-fixtures.sh            (or: just fixtures)
#   VERSUS=path/to/versus scripts/record-fixtures.sh    (default: target/release/versus, built first)
#
# Then re-make the snapshots: INSTA_UPDATE=always cargo test --release -p versus --lib ui::
# and read every changed .snap. Runs headless, each until steady (20 s at most); about 3 minutes,
# best on a quiet machine (the header shows any outside load, and the figures suffer from it).
set -euo pipefail

cd "$(dirname "$0")/.."
out=tests/fixtures/recordings
# What would otherwise make the screens depend on this machine: the glyphs (the app reads LC_ALL
# first), the tokio worker count (one per core by default), the scheduling mode (the TUI's `group`
# is SCHED_IDLE where autogroup is off; `normal` is the same everywhere, and the header says it),
# and the chart window (the model keeps 10 s, so the charts are full). 20 s at most: headless turns
# are half the run, so `parallel` takes turns of 10 s as in the TUI.
export LC_ALL=C.UTF-8
if [[ -z "${VERSUS:-}" ]]; then
    cargo build --release --locked --quiet
    VERSUS=target/release/versus
fi
common=(--headless --until-steady --duration 20s --workers 2 --sched normal --nice 10
    --window 10s --format json)
mkdir -p "$out"
started=$SECONDS

# The header, then the lines of the last KEEP_S seconds (the start's reset, launched and run lines
# kept, the model needs them): a recording stays small however long the run took.
KEEP_S=12
trim() {
    local file=$1 end
    end=$(tail -n 1 "$file" | sed -n 's/^{"t_us":\([0-9]*\),.*/\1/p')
    awk -v from=$((end - KEEP_S * 1000000)) '
        NR == 1 { print; next }
        /"kind":"(sample|tick|outside)"/ {
            t = $0; sub(/^\{"t_us":/, "", t); sub(/,.*/, "", t)
            if (t + 0 < from) next
        }
        { print }' "$file" >"$file.tmp"
    mv "$file.tmp" "$file"
}

record() {
    local name=$1
    shift
    printf '%-14s ' "$name"
    local t0=$SECONDS
    # A side that fails (limits) exits non-zero: the recording is what we want either way.
    "$VERSUS" "${common[@]}" "$@" --record "$out/$name.jsonl" >"$out/$name.json.tmp" || true
    trim "$out/$name.jsonl"
    printf '%3ss  %s, %s bytes\n' $((SECONDS - t0)) \
        "$(jq -r '.ended // "?"' "$out/$name.json.tmp")" "$(wc -c <"$out/$name.jsonl")"
    rm -f "$out/$name.json.tmp"
}

# Every built-in preset, by the names `versus --list` prints (up to the shared settings).
presets=$("$VERSUS" --list | sed '/^Settings of every scenario/,$d' |
    sed -n 's/^ *[0-9]* *\([a-z0-9_-][a-z0-9_-]*\) — .*/\1/p')
[[ -n "$presets" ]] || { echo "no presets in versus --list" >&2; exit 1; }
for name in $presets; do
    record "$name" --scenario "$name"
done

# The default run (sleep) at the README demo's size: 10,000 units a side.
record default --async-units 10000 --thread-units 10000

# Step 1 of the built-in talk (assets/talks/async-vs-threads.toml): memory, 1,000 units a side.
record talk-step-1 --scenario memory --set async_units=1000 --set thread_units=1000

# The default run with its threads worker SIGKILLed once its 10,000 threads run: the controller
# records the side as failed. The worker is the controller's child with the most threads.
printf '%-14s ' failed
t0=$SECONDS
"$VERSUS" "${common[@]}" --async-units 10000 --thread-units 10000 \
    --record "$out/failed.jsonl" >"$out/failed.json.tmp" &
controller=$!
victim=
for _ in $(seq 300); do
    best=0
    for pid in $(pgrep -P "$controller" || true); do
        n=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
        if ((n > best)); then best=$n victim=$pid; fi
    done
    ((best >= 10003)) && break
    victim=
    sleep 0.1
done
if [[ -z "$victim" ]]; then
    kill "$controller" 2>/dev/null || true
    echo "the threads worker never reached 10,000 threads" >&2
    exit 1
fi
# A few samples at full strength first, so the column shows what died.
sleep 3
kill -KILL "$victim"
wait "$controller" || true
trim "$out/failed.jsonl"
grep -q '"kind":"failed"' "$out/failed.jsonl" || { echo "failed.jsonl: no failed line" >&2; exit 1; }
printf '%3ss  %s, %s bytes\n' $((SECONDS - t0)) \
    "$(jq -r '.ended // "?"' "$out/failed.json.tmp")" "$(wc -c <"$out/failed.jsonl")"
rm -f "$out/failed.json.tmp"

echo "all: $(du -cb "$out"/*.jsonl | tail -n 1 | cut -f1) bytes in $((SECONDS - started)) s"
