#!/bin/bash
# Walks the built-in talk at 80x24 in tmux as the audience sees it, → once per step; one table row per
# step: seconds until the headline line compares (or says why not), then the headline as shown 3 s later.
# The table goes to $OUT/walk-TAG.md, each step's screen beside it. Needs tmux and bc.
# usage: [TALK=beyond STEPS=6] benches/talk-walk.sh BIN TAG   (default: async-vs-threads, 14 steps)
bin=$(readlink -f "$1"); tag=$2; talk=${TALK:-async-vs-threads}; n=${STEPS:-14}
out_dir=${OUT:-/tmp/versus-talk-walk}; mkdir -p "$out_dir"; out=$out_dir/walk-$tag.md; s=walk-$tag
export LANG=C.UTF-8 LC_ALL=C.UTF-8
tmux kill-session -t $s 2>/dev/null
tmux new-session -d -s $s -x 80 -y 24 "$bin --talk $talk; sleep 2"
echo "| step | title | settle s | headline as shown |" > $out; echo "|---|---|---|---|" >> $out
for step in $(seq 1 $n); do
  [ $step -gt 1 ] && tmux send-keys -t $s Right
  t0=$(date +%s.%N); settled=""
  while (( $(echo "$(date +%s.%N) - $t0 < 90" | bc) )); do
    scr=$(tmux capture-pane -p -t $s)
    echo "$scr" | grep -q "step $step/$n" || { sleep 0.3; continue; }
    head=$(echo "$scr" | sed -n 3p)
    if echo "$head" | grep -q "—\|not compared\|one side at a time\|failed"; then settled=$(echo "$(date +%s.%N) - $t0" | bc); break; fi
    sleep 0.5
  done
  sleep 3
  scr=$(tmux capture-pane -p -t $s); echo "$scr" > $out_dir/walk-$tag-s$step.txt
  title=$(echo "$scr" | sed -n 1p | sed "s/^ *versus *step [0-9]*\\/$n · //" | sed 's/  .*//')
  head=$(echo "$scr" | sed -n 3p | sed 's/^ *//;s/ *$//')
  printf "| %s | %s | %s | %s |\n" $step "$title" "${settled:-—}" "$head" >> $out
done
tmux send-keys -t $s q; sleep 2; tmux kill-session -t $s 2>/dev/null
