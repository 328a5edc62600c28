#!/usr/bin/env bash
# Fidelity, checked: versus's own switch and spawn figures on the wall clock (`switch_wall_ns`,
# `spawn_wall_ns`, each side alone, current-thread runtime, nice 0) against the same work as minimal
# standalone programs timed on the wall clock too (`cargo bench --bench baseline`, divan's median
# throughput: per switch, per spawn + join), on the same placement: versus's switch runs at its default
# `placement=same-cpu` (async pairs on the first CPU, threads pairs on the second, both units of a pair
# on one CPU), and the standalone ping-pongs pin themselves there too; spawn is placed by the scheduler
# on both. Wall with wall: the CPU figures (`switch_cpu_ns`,
# `spawn_cpu_ns`) have no standalone twin here. Each ratio must be within ×1.5 either way, or the
# instrumentation is what the audience would be watching; exits 1 when one is not.
# Both figures move with load: run it on a quiet machine.
# usage: benches/fidelity.sh [SECONDS]   (default 3 per headless run)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-3}
cargo build --release -q
bin="${CARGO_TARGET_DIR:-target}/release/versus"
baseline=$(mktemp)
trap 'rm -f "$baseline"' EXIT
cargo bench --locked -q --bench baseline | tee "$baseline"

# workload, async units, thread units -> the side's JSON object
figure() {
    "$bin" --headless --format json --duration "${secs}s" --nice 0 --runtime current-thread \
        --workload "$1" --async-units "$2" --thread-units "$3"
}
switch_async=$(figure switch 1 0)
switch_threads=$(figure switch 0 1)
spawn_async=$(figure spawn 1 0)
spawn_threads=$(figure spawn 0 1)

python3 - "$baseline" "$switch_async" "$switch_threads" "$spawn_async" "$spawn_threads" <<'PY'
import json, re, sys

# divan: a bench's line, then a line of throughputs; the median is the third of the value columns,
# counted from the right (fastest, slowest, median, mean, then the empty samples and iters), since
# the tree's bars before them are one or two deep.
scale = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}
lines = open(sys.argv[1]).read().splitlines()
ns_per_item = {}
for i, line in enumerate(lines[:-1]):
    m = re.search(r"[├╰]─ (\w+)\s", line)
    cols = lines[i + 1].split("│")
    rate = re.match(r"\s*([\d.]+) ([KMG]?)item/s", cols[-4]) if len(cols) > 5 else None
    if m and rate:
        ns_per_item[m.group(1)] = 1e9 / (float(rate.group(1)) * scale[rate.group(2)])

def side(doc, name):
    return next(s for s in json.loads(doc)["sides"] if s["side"] == name)

checks = [
    ("switch, tokio current-thread, same-cpu", side(sys.argv[2], "async")["switch_wall_ns"], "tokio_mpsc_current_thread"),
    ("switch, threads, same-cpu", side(sys.argv[3], "threads")["switch_wall_ns"], "std_mpsc_threads"),
    ("spawn, tokio current-thread", side(sys.argv[4], "async")["spawn_wall_ns"], "tokio_current_thread"),
    ("spawn, threads", side(sys.argv[5], "threads")["spawn_wall_ns"], "std_threads"),
]
ok_all = True
for what, versus_ns, bench in checks:
    base = ns_per_item.get(bench)
    ratio = versus_ns / base if base else float("nan")
    ok = base is not None and 1 / 1.5 <= ratio <= 1.5
    ok_all &= ok
    print("check: %-40s versus %9.0f ns, standalone %9.0f ns: ×%.2f, target within ×1.5: %s"
          % (what, versus_ns, base or float("nan"), ratio, "ok" if ok else "MISSED"))
sys.exit(0 if ok_all else 1)
PY
