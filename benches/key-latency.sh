#!/usr/bin/env bash
# Key -> screen under load: runs the real TUI (release binary) in a detached tmux pane under each load
# of issue 10, waits until the unit counts on screen settle (or WARMUP_S; `tenmillion`: only until
# the screen shows the counts, so the presses land while ten million tasks spawn), then presses `?` PRESSES
# times (it opens the help overlay; the same key closes it again, untimed) and times each press from
# send-keys until capture-pane shows the overlay. Prints p50 / p99 / max per load, plus figures that
# tell the terminal's share from ours:
#   read    key sent -> the app's input thread read it       (VERSUS_TRACE_FRAMES trace)
#   flush   key read -> the frame showing it written+flushed (VERSUS_TRACE_FRAMES trace)
#   ctl rq  the controller's run-queue wait during the slowest press, all its threads (schedstat)
#   tmux rq the tmux server's run-queue wait during the slowest press (schedstat)
#   quit    `q` -> no process of the run left (controller, workers, load generator; 1 s target)
# usage: benches/key-latency.sh [LOAD...] [-- VERSUS ARGS...]
#   LOAD: a substring of a load's name (default: every load); VERSUS ARGS are added to every load.
#   env: PRESSES (6), WARMUP_S (20, the most a warm-up waits).
# Exit code 1 if a press never showed (60 s) or something outlived `q` by more than 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
export VERSUS_BIN="$PWD/${CARGO_TARGET_DIR:-target}/release/versus"
exec python3 - "$@" <<'PY'
import os, re, subprocess, sys, tempfile, time

LOADS = [
    ("default (1,000 a side)", []),
    ("10,000/10,000 sleep_ms=100", ["--async-units", "10000", "--thread-units", "10000"]),
    ("cpu 100/100", ["--workload", "cpu", "--async-units", "100", "--thread-units", "100"]),
    ("--scenario limits", ["--scenario", "limits"]),
    ("10,000/10,000 sleep_ms=1", ["--async-units", "10000", "--thread-units", "10000", "--set", "sleep_ms=1"]),
    ("echo 10,000 connections", ["--workload", "echo", "--async-units", "10000", "--thread-units", "10000"]),
    # Issue 23: the keys while ten million tasks spawn (pressed at once, not after the count settles).
    ("tenmillion (while spawning)", ["--scenario", "memory", "--set", "async_units=10000000",
                                     "--set", "sleep_ms=600000"]),
]
# Loads whose presses land while the units spawn: no warm-up beyond the first screen.
DURING_SPAWN = ("tenmillion",)
HELP = "any key closes this"
PRESSES = int(os.environ.get("PRESSES", "6"))
WARMUP_S = float(os.environ.get("WARMUP_S", "20"))
SHOW_TIMEOUT_S = 60.0
BIN = os.environ["VERSUS_BIN"]

argv = sys.argv[1:]
extra = argv[argv.index("--") + 1:] if "--" in argv else []
wanted = argv[:argv.index("--")] if "--" in argv else argv
loads = [l for l in LOADS if not wanted or any(w in l[0] for w in wanted)]


def ms(ns):
    return ns / 1e6


def pct(xs, p):
    """Nearest-rank percentile."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = max(0, min(len(xs) - 1, -(-len(xs) * p // 100) - 1))
    return xs[int(k)]


def run_delay_ns(pid):
    """Run-queue wait of every thread of pid so far (schedstat field 2); exited threads are lost."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[1])
            except (OSError, IndexError, ValueError):
                pass
    except OSError:
        pass
    return total


def tagged(tag):
    needle = f"VERSUS_TEST_TAG={tag}".encode()
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/environ", "rb") as f:
                env = f.read().split(b"\0")
            with open(f"/proc/{d}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if needle in env and state != "Z":
            pids.append(int(d))
    return pids


class Pane:
    def __init__(self, name, args, trace, tag):
        self.sock = f"versus-keylat-{os.getpid()}"
        env = f"LANG=C.UTF-8 VERSUS_TRACE_FRAMES='{trace}' VERSUS_TEST_TAG='{tag}'"
        cmd = f"exec env {env} '{BIN}' " + " ".join(f"'{a}'" for a in args)
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "120", "-y", "40", cmd)
        self.app = int(self.tmux("display", "-p", "-t", "t", "#{pane_pid}"))
        self.server = int(self.tmux("display", "-p", "#{pid}"))

    def tmux(self, *args):
        r = subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout.strip()

    def screen(self):
        try:
            return self.tmux("capture-pane", "-p", "-t", "t")
        except RuntimeError:
            return ""

    def key(self, k):
        self.tmux("send-keys", "-t", "t", k)

    def kill(self):
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True)


def units_on_screen(screen):
    """The units shown per side, and whether any side still shows a target it has not reached."""
    lines = re.findall(r"┃ (?:units|connections) .*?┃", screen)
    counts = tuple(re.findall(r"(?:units|connections)\s+([\d,]+)", screen))
    return counts, any("target" in l for l in lines)


def warm_up(p, during_spawn=False):
    """Until both sides show their target (or held still for 5 s: a side stopped at a limit),
    at most WARMUP_S; `during_spawn`: only until both sides show a count."""
    start = time.monotonic()
    if during_spawn:
        while time.monotonic() - start < WARMUP_S:
            u, _ = units_on_screen(p.screen())
            if len(u) >= 2:
                return time.monotonic() - start, u
            time.sleep(0.05)
    last, since = None, time.monotonic()
    while time.monotonic() - start < WARMUP_S:
        u, short = units_on_screen(p.screen())
        now = time.monotonic()
        if u != last:
            last, since = u, now
        if len(u) >= 2 and now - start >= 2.0 and (not short or now - since >= 5.0):
            break
        time.sleep(0.25)
    return time.monotonic() - start, last


def wait_screen(p, want_help, t0):
    while True:
        if (HELP in p.screen()) == want_help:
            return time.monotonic_ns()
        if time.monotonic_ns() - t0 > SHOW_TIMEOUT_S * 1e9:
            return None
        time.sleep(0.002)


def trace_lines(path):
    keys, frames = [], []
    try:
        with open(path) as f:
            for line in f:
                x = line.split()
                if x[:1] == ["key"] and len(x) == 2:
                    keys.append(int(x[1]))
                elif x[:1] == ["frame"] and len(x) == 5:
                    frames.append(tuple(int(v) for v in x[1:]))
    except OSError:
        pass
    return keys, frames


def bench(name, args):
    tag = f"keylat-{os.getpid()}-{time.monotonic_ns()}"
    fd, trace = tempfile.mkstemp(prefix="versus-trace-")
    os.close(fd)
    p = Pane(name, args + extra, trace, tag)
    failed = False
    try:
        warm_s, units = warm_up(p, any(d in name for d in DURING_SPAWN))
        presses = []
        for _ in range(PRESSES):
            ctl0, tmx0 = run_delay_ns(p.app), run_delay_ns(p.server)
            t0 = time.monotonic_ns()
            p.key("?")
            t1 = wait_screen(p, True, t0)
            ctl1, tmx1 = run_delay_ns(p.app), run_delay_ns(p.server)
            if t1 is None:
                failed = True
                presses.append((t0, None, ctl1 - ctl0, tmx1 - tmx0))
                break
            presses.append((t0, t1 - t0, ctl1 - ctl0, tmx1 - tmx0))
            p.key("?")
            if wait_screen(p, False, time.monotonic_ns()) is None:
                failed = True
                break
            time.sleep(0.2)
        # The counts once the presses are done (for a load pressed while spawning: how far it got).
        units = units_on_screen(p.screen())[0] or units
        keys, frames = trace_lines(trace)
        reads, flushes = [], []
        for t0, _, _, _ in presses:
            k = next((k for k in keys if k >= t0), None)
            if k is None:
                continue
            reads.append(k - t0)
            f = next((f for f in frames if f[1] >= k), None)
            if f is not None:
                flushes.append(f[2] - k)
        # Quit: every process of the run gone within a second.
        before = tagged(tag)
        q0 = time.monotonic()
        p.key("q")
        while tagged(tag) and time.monotonic() - q0 < 10:
            time.sleep(0.01)
        quit_s = time.monotonic() - q0
        left = tagged(tag)
        if left or quit_s > 1.0:
            failed = True
    finally:
        p.kill()
        for pid in tagged(tag):
            os.kill(pid, 9)
        os.unlink(trace)
    lat = [d for _, d, _, _ in presses if d is not None]
    slow = max(presses, key=lambda x: x[1] if x[1] is not None else float("inf"))
    shown = "timeout" if len(lat) < len(presses) else ""
    print(f"{name:<28} {ms(pct(lat, 50)):7.0f} {ms(pct(lat, 99)):7.0f} {ms(max(lat, default=0)):7.0f} {shown}"
          f"{ms(pct(reads, 50)):7.1f} {ms(max(reads, default=0)):7.1f}"
          f"{ms(pct(flushes, 50)):7.1f} {ms(max(flushes, default=0)):7.1f}"
          f"{ms(slow[2]):8.0f} {ms(slow[3]):8.0f}"
          f"  {quit_s * 1000:5.0f} ms ({len(before)} procs{', LEFT ' + str(left) if left else ''})"
          f"  warm-up {warm_s:.0f} s, units after the presses {'/'.join(units or ())}", flush=True)
    return failed


with open("/proc/loadavg") as f:
    load = " ".join(f.read().split()[:3])
print(f"machine: {os.cpu_count()} cores, load {load}; {PRESSES} presses of ? per load; "
      f"extra args: {' '.join(extra) or 'none'}")
print(f"{'load':<28} {'p50':>7} {'p99':>7} {'max':>7} {'read50':>6} {'readmx':>6} {'flush50':>6} "
      f"{'flushmx':>6} {'ctl rq':>8} {'tmux rq':>8}  quit (ms)")
bad = False
for name, args in loads:
    bad |= bench(name, args)
sys.exit(1 if bad else 0)
PY
