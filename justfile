# versus: common tasks. `just --list` shows them.

# The TUI with the default workload (both sides, 1,000 sleeping units each).
run *ARGS:
    cargo run --release -- {{ARGS}}

# Everything CI runs: installs tmux if missing, fmt check, clippy, all tests.
test:
    bash .ci/run

# Formatting and lints, warnings are errors.
lint:
    cargo fmt --all -- --check
    cargo clippy --release --all-targets -- -D warnings

# Re-record the runs the render snapshots draw (tests/fixtures/recordings/: every preset, the
# default run, the talk's first step, a killed worker), about 3 minutes. Plain command:
# scripts/record-fixtures.sh; then INSTA_UPDATE=always cargo test --release -p versus --lib ui::
fixtures:
    scripts/record-fixtures.sh

# The whole suite N times in a row, each run's rc, time and failed tests (issue 22's stability check).
stability N="10":
    scripts/suite-stability.sh {{N}}

# Benchmarks: frame render time (fails over the 2 ms budget) and the standalone switch/spawn baselines.
bench:
    cargo bench --locked

# A talk-sized demo: 10,000 sleeping tasks against 1,000 threads.
demo:
    cargo run --release -- --async-units 10000 --thread-units 1000

# Figures as JSON without the UI (for scripts and notes).
headless DURATION="10s" *ARGS:
    cargo run --release -- --headless --duration {{DURATION}} --format json {{ARGS}}

# The controller's own CPU with 10,000 units a side; fails at 3% of one core or more.
bench-controller SECONDS="20":
    benches/controller-cpu.sh {{SECONDS}}

# COUNT sleeping tasks on the async side (1,000,000 by default): spawn time and RSS per unit; fails
# over 5 s or 1 KiB a task for a million, over 10 s or 500 B for ten million (`just bench-million 10000000`).
bench-million COUNT="1000000":
    benches/million.sh {{COUNT}}

# Soak: keys churn both sides through every workload for SECS seconds (an hour by default) while the
# controller's RSS, threads and file descriptors are watched; prints them every minute, fails on a leak.
soak SECS="3600":
    VERSUS_SOAK_SECS={{SECS}} cargo test --release --test it -- soak:: --nocapture

# Echo over loopback: 10,000 idle connections and 1,000 busy ones, each side alone.
bench-echo:
    benches/echo.sh

# Key -> screen under each load of issue 10 (the TUI in tmux, six presses of ? a load): p50/p99/max,
# the app's and the terminal's shares, and q -> nothing left. LOADS: substrings of load names.
key-latency *LOADS:
    benches/key-latency.sh {{LOADS}}

# Fidelity: versus's switch_ns and spawn_ns against minimal standalone programs; fails outside ×2.
bench-fidelity:
    benches/fidelity.sh
