#!/usr/bin/env bash
# COUNT sleeping tasks on the async side (a million unless told), headless, checked against the
# README's targets: all spawned in max(5 s, 1 µs × COUNT) (spawn_ns_per_unit × units: 5 s for a
# million, 10 s for ten million) and under 1 KiB of RSS per task (under 500 B from ten million on).
# Each task sleeps 600 s (sleep_ms=600000), so wake-ups stay out of the way of the spawning.
# Prints the figures and exits 1 when a target is missed or COUNT was not reached.
# usage: benches/million.sh [COUNT] [SECONDS]   (default 1000000, and 15 s, or 30 s from 5 million on)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
[[ $count =~ ^[0-9]+$ && $count -ge 1 ]] || { echo "million.sh: COUNT must be a whole number of tasks, not '$count'" >&2; exit 2; }
if [[ $count -ge 5000000 ]]; then default_secs=30; else default_secs=15; fi
secs=${2:-$default_secs}
cargo build --release -q
bin="${CARGO_TARGET_DIR:-target}/release/versus"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(awk '/MemAvailable/ {printf "%.1f GiB available", $2/1048576}' /proc/meminfo)"
"$bin" --scenario memory --headless --duration "${secs}s" --set async_units="$count" --set thread_units=0 \
    --set sleep_ms=600000 --format json |
    python3 -c '
import json, sys
count = int(sys.argv[1])
d = json.load(sys.stdin)
s = next(x for x in d["sides"] if x["side"] == "async")
units, per_unit = s["units"], s["rss_per_unit_bytes"]
spawn_s = (s["spawn_ns_per_unit"] or float("inf")) * units / 1e9
print("async: %d tasks, %s B RSS/task, %.2f s to spawn them all (%.0f ns each), %d OS threads, errors %s"
      % (units, "-" if per_unit is None else "%.0f" % per_unit, spawn_s, spawn_s * 1e9 / max(units, 1),
         s["os_threads"], s["errors"]))
limit_s = max(5.0, count * 1e-6)
limit_b = 500 if count >= 10_000_000 else 1024
checks = [
    ("%d tasks running" % count, units == count, "%d" % units),
    ("spawned in < %g s" % limit_s, spawn_s < limit_s, "%.2f s" % spawn_s),
    ("RSS per task < %d B" % limit_b, per_unit is not None and per_unit < limit_b, "%s B" % per_unit),
]
for name, ok, got in checks:
    print("check: %s: %s (%s)" % (name, "ok" if ok else "MISSED", got))
sys.exit(0 if all(ok for _, ok, _ in checks) else 1)
' "$count"
