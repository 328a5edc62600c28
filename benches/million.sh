#!/usr/bin/env bash
# A million sleeping tasks on the async side, headless, checked against the README's targets:
# all spawned in under 5 s (spawn_ns_per_unit × units) and under 1 KiB of RSS per task.
# Prints the figures and exits 1 when a target is missed or the million was not reached.
# usage: benches/million.sh [SECONDS]   (default 15)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-15}
cargo build --release -q
bin="${CARGO_TARGET_DIR:-target}/release/versus"
"$bin" --headless --duration "${secs}s" --async-units 1000000 --thread-units 0 \
    --set sleep_ms=10000 --format json |
    python3 -c '
import json, sys
d = json.load(sys.stdin)
s = next(x for x in d["sides"] if x["side"] == "async")
units, per_unit = s["units"], s["rss_per_unit_bytes"]
spawn_s = (s["spawn_ns_per_unit"] or float("inf")) * units / 1e9
print("async: %d tasks, %s B RSS/task, %.2f s to spawn them all, %d OS threads, errors %s"
      % (units, "-" if per_unit is None else "%.0f" % per_unit, spawn_s, s["os_threads"], s["errors"]))
checks = [
    ("a million tasks running", units == 1000000, "%d" % units),
    ("spawned in < 5 s", spawn_s < 5.0, "%.2f s" % spawn_s),
    ("RSS per task < 1 KiB", per_unit is not None and per_unit < 1024, "%s B" % per_unit),
]
for name, ok, got in checks:
    print("check: %s: %s (%s)" % (name, "ok" if ok else "MISSED", got))
sys.exit(0 if all(ok for _, ok, _ in checks) else 1)
'
