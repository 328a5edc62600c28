#!/usr/bin/env bash
# The echo workload's speed and memory targets, measured headless (the figures are the JSON's):
#   1. 10,000 mostly idle connections (1 request/s each): async RSS per connection < 10 KiB;
#      the threads side's cost per connection next to it.
#   2. 1,000 busy connections (rate=0): async requests/s >= threads requests/s.
# Each side is measured alone (the other at 0 connections): the load generator needs one descriptor
# per connection, and both sides at once would share the two cores three ways. The load generator
# runs at the workers' nice and takes CPU too; on a 2-core machine it is often the bottleneck in
# busy mode, so run this on a quiet machine and read the requests/s as a comparison, not a maximum.
# usage: benches/echo.sh [IDLE_SECONDS] [BUSY_SECONDS]   (default 20 and 10)
set -euo pipefail
cd "$(dirname "$0")/.."
idle=${1:-20}
busy=${2:-10}
cargo build --release -q
bin="${CARGO_TARGET_DIR:-target}/release/versus"

# side, duration, units, extra args -> one line of figures
run() {
    local side=$1 secs=$2 units=$3
    shift 3
    local a=0 t=0
    if [ "$side" = async ]; then a=$units; else t=$units; fi
    "$bin" --headless --format json --duration "${secs}s" --workload echo \
        --async-units "$a" --thread-units "$t" "$@" |
        python3 -c '
import json, sys
side = sys.argv[1]
d = json.load(sys.stdin)
s = next(x for x in d["sides"] if x["side"] == side)
f = lambda k, scale=1: "-" if s.get(k) is None else "%.1f" % (s[k] / scale)
print("%-7s conns %5d  rss/conn %6s KiB  threads %5d  req/s %8s  p50 %7s us  p99 %8s us  cpu %5.1f%%  ctx/s %8.0f  errors %s"
      % (side, s["connections"], f("rss_per_connection_bytes", 1024), s["os_threads"], f("requests_per_sec"),
         f("request_p50_us"), f("request_p99_us"), s["cpu_percent"], s["ctx_switches_per_sec"], s["errors"][:1]))
' "$side"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "idle: 10,000 connections, 1 request/s each, ${idle} s per side (target: async < 10 KiB per connection)"
run async "$idle" 10000
run threads "$idle" 10000
echo "busy: 1,000 connections, back to back, ${busy} s per side (target: async req/s >= threads req/s)"
run async "$busy" 1000 --set rate=0
run threads "$busy" 1000 --set rate=0
