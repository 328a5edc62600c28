#!/bin/bash
# The built-in talk's limits step, N times: the talk at 80x24 in tmux with default options, LINGER_S
# seconds on each of steps 1-4, then step 5 until the threads column shows its limit or a failure; LOAD=1
# runs each beside `stress-ng --cpu 2`. One line per run in $OUT/campaign-TAG.log; the guard's trace
# (VERSUS_GUARD_TRACE) of each run beside it. Issue 18's check: 20 runs quiet, 10 beside stress-ng.
# usage: benches/talk-limits.sh BIN N LOAD(0|1) LINGER_S TAG     e.g. target/release/versus 20 0 6 quiet
set -u
bin=$(readlink -f "$1"); n=$2; load=$3; linger=$4; tag=$5
out_dir=${OUT:-/tmp/versus-talk-limits}; mkdir -p "$out_dir"; sp=
log=$out_dir/campaign-$tag.log; : > $log
export LANG=C.UTF-8 LC_ALL=C.UTF-8
for i in $(seq 1 $n); do
  s=cmp-$tag-$i
  [ "$load" = 1 ] && { stress-ng --cpu 2 --timeout 600s >/dev/null 2>&1 & sp=$!; }
  tmux new-session -d -s $s -x 80 -y 24 "VERSUS_GUARD_TRACE=$out_dir/trace-$tag-$i $bin --talk async-vs-threads; sleep 1"
  sleep 2
  for step in 1 2 3 4; do sleep $linger; tmux send-keys -t $s Right; done
  t0=$(date +%s); outcome=timeout
  while [ $(( $(date +%s) - t0 )) -lt 240 ]; do
    scr=$(tmux capture-pane -p -t $s 2>/dev/null)
    if echo "$scr" | grep -q "FAILED\|SIGABRT\|killed by"; then outcome=FAILED; break; fi
    if echo "$scr" | grep -q "limit hit:"; then outcome=limit; break; fi
    sleep 1
  done
  secs=$(( $(date +%s) - t0 ))
  echo "$scr" > $out_dir/screen-$tag-$i.txt
  units=$(echo "$scr" | grep -o "units *[0-9,]* · target 100,000" | head -1)
  step=$(echo "$scr" | grep -o "step [0-9]*/14" | head -1)
  echo "run $i: $outcome after ${secs}s at $step; $units; $(echo "$scr" | grep -o 'limit hit: [^┃]*' | head -1)" >> $log
  tmux send-keys -t $s q; sleep 2; tmux kill-session -t $s 2>/dev/null
  [ -n "$sp" ] && { kill $sp 2>/dev/null; pkill -f "stress-ng --cpu 2 --timeout 600s"; sp=; }
  sleep 1
  left=$(pgrep -f "^$bin" | wc -l); [ "$left" != 0 ] && echo "  $left processes left: $(pgrep -fa "^$bin" | head -3)" >> $log && pkill -9 -f "^$bin"
done
echo done >> $log
