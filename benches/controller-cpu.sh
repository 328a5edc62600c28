#!/usr/bin/env bash
# The controller's own CPU while the TUI shows both sides: runs versus in a detached tmux pane,
# waits 5 s for the sides to settle, then reads the app's utime+stime from /proc over SECONDS.
# Exits 1 when the controller takes MAX_PERCENT of one core or more (the target: 3% with 10,000 units a
# side; set MAX_PERCENT=1 for the default launch's 1%).
# usage: [KEYS=d] benches/controller-cpu.sh [SECONDS] [versus ARGS...]   (default: 20 s, 10,000 units a side)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
shift || true
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--async-units 10000 --thread-units 10000)
cargo build --release -q
sock="versus-cpu-$$"
tmux -L "$sock" -f /dev/null new-session -d -s t -x 120 -y 40 "exec $PWD/target/release/versus ${args[*]}"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true' EXIT
sleep 5
# KEYS: keys pressed once the sides have settled, e.g. KEYS=d for the "what the OS sees" view.
if [ -n "${KEYS:-}" ]; then
    tmux -L "$sock" send-keys -t t $KEYS
    sleep 2
fi
# The pane's process is versus itself (exec above), not a shell around it.
pid=$(tmux -L "$sock" display -p -t t '#{pane_pid}')
comm=$(cat "/proc/$pid/comm")
[ "$comm" = versus ] || { echo "controller-cpu: the pane runs '$comm', not versus" >&2; exit 1; }
ticks=$(getconf CLK_TCK)
before=$(awk '{print $14+$15}' "/proc/$pid/stat")
sleep "$secs"
after=$(awk '{print $14+$15}' "/proc/$pid/stat")
rss_kib=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
tmux -L "$sock" send-keys -t t q
sleep 1
max=${MAX_PERCENT:-3}
awk -v a="$before" -v b="$after" -v t="$ticks" -v s="$secs" -v r="$rss_kib" -v args="${args[*]}" -v max="$max" \
    'BEGIN {
        pct = (b-a)*100/t/s
        printf "controller CPU: %.2f%% of one core over %d s (%s); controller RSS %d KiB\n", pct, s, args, r
        ok = pct < max
        printf "check: controller CPU %.2f%%, target < %s%%: %s\n", pct, max, ok ? "ok" : "MISSED"
        exit ok ? 0 : 1
    }'
