//! `cpu`: the CPU-bound case. Each unit repeats a fixed chunk of real computation and counts chunks.
//! The async side yields between chunks; the thread side relies on the OS scheduler to share cores.

use std::hint::black_box;
use std::sync::Arc;

use super::{BuildCtx, Kind, ParamDef, UnitFuture, Workload};
use crate::figure;
use crate::workload::Unit;

pub const KIND: Kind = Kind {
    name: "cpu",
    summary: "units that compute without pause (the CPU-bound case)",
    caption: "CPU-bound work gains nothing from async: throughput is capped by cores either way. \
              A current-thread runtime uses one core; threads get involuntary context switches.",
    params: PARAMS,
    build,
    figures: &[],
    headline: &[&figure::CORES_USED, &figure::OPS_PER_SEC],
    pace: None,
    churns: false,
    source: ("cpu.rs", include_str!("cpu.rs")),
};

const PARAMS: &[ParamDef] = &[ParamDef::int(
    "chunk_iters",
    20_000,
    100,
    100_000_000,
    "hash rounds per chunk (one op)",
)];

struct Cpu {
    chunk_iters: u64,
}

fn build(ctx: &BuildCtx<'_>) -> Result<Arc<dyn Workload>, String> {
    Ok(Arc::new(Cpu {
        chunk_iters: ctx.params.int("chunk_iters").max(1) as u64,
    }))
}

/// One chunk of work: xorshift-multiply rounds the optimizer cannot skip.
pub fn chunk(seed: u64, iters: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..iters {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
    }
    black_box(x)
}

impl Workload for Cpu {
    fn task(self: Arc<Self>, mut unit: Unit) -> UnitFuture {
        Box::pin(async move {
            let mut seed = unit.index;
            // core loop
            loop {
                seed = chunk(seed, self.chunk_iters);
                unit.add_ops(1);
                if unit.retire_if_surplus() {
                    return;
                }
                tokio::task::yield_now().await;
            }
        })
    }

    fn thread(self: Arc<Self>, mut unit: Unit) {
        let mut seed = unit.index;
        // core loop
        loop {
            seed = chunk(seed, self.chunk_iters);
            unit.add_ops(1);
            if unit.retire_if_surplus() {
                return;
            }
        }
    }
}
