//! Everything the model is fed, as one value. The controller turns worker events, key actions and
//! the clock into `Input`s; a recording stores them line by line; a replay feeds them back to a
//! model of its own, which then holds exactly what the live one held. The model does not know which.

use serde::{Deserialize, Serialize};

use super::{Model, RunInfo, SideEvent, SideSample};
use crate::protocol::Side;

/// One thing that changes the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Input {
    /// A fresh model: the start, a workload or scenario switch.
    Reset { run: RunInfo, window_s: f64 },
    /// What runs changed without a fresh model (runtime, stacks, a flag, one side at a time).
    Run { run: RunInfo },
    /// A side's worker was (re)started.
    Launched { side: Side, target_units: u64 },
    /// A side was asked for this many units (a scale change).
    Target { side: Side, units: u64 },
    /// A worker's report joined with its /proc figures.
    Sample { side: Side, sample: Box<SideSample> },
    /// A side's worker died or was stopped; why.
    Failed { side: Side, why: String },
    /// A line a side's worker wrote to stderr, or an error about it.
    Error { side: Side, text: String },
    /// Time passed (silent sides are noticed, the headline refreshed).
    Tick,
    /// Cores kept busy by other processes (`collect::machine`).
    Outside { cores: f64 },
    /// The sides take turns and this side's turn ended: its steady figures are kept.
    EndTurn { side: Side },
}

impl Model {
    /// Applies one input at `now_s` (seconds since the run started).
    pub fn feed(&mut self, input: Input, now_s: f64) {
        let (side, event) = match input {
            Input::Reset { run, window_s } => {
                *self = Model::new(run, window_s);
                return;
            }
            Input::Run { run } => {
                self.run = run;
                return;
            }
            Input::Tick => {
                self.tick(now_s);
                return;
            }
            Input::Outside { cores } => {
                self.outside_cores = Some(cores);
                return;
            }
            Input::EndTurn { side } => {
                self.end_turn(side);
                return;
            }
            Input::Launched { side, target_units } => (side, SideEvent::Launched { target_units }),
            Input::Target { side, units } => (side, SideEvent::Target { units }),
            Input::Sample { side, sample } => (side, SideEvent::Sample(sample)),
            Input::Failed { side, why } => (side, SideEvent::Failed(why)),
            Input::Error { side, text } => (side, SideEvent::Error(text)),
        };
        self.apply(side, event, now_s);
    }
}

/// `RunInfo::headline` as the figures' names; an unknown name does not load.
pub mod figure_names {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::figure::Figure;
    use crate::model::headline;

    pub fn serialize<S: Serializer>(defs: &[&'static Figure], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(defs.iter().map(|d| d.name()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<&'static Figure>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        names
            .iter()
            .map(|n| {
                headline::find(n)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown figure '{n}'")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::WorkerSample;

    #[test]
    fn inputs_round_trip_through_json_and_feed_the_same_model() {
        let run = crate::model::tests::run();
        let sample = |t_ms: u64, ops: u64| Input::Sample {
            side: Side::Async,
            sample: Box::new(SideSample {
                worker: WorkerSample {
                    t_us: t_ms * 1000,
                    units: 5,
                    target_units: 5,
                    ops_total: ops,
                    ..Default::default()
                },
                os: Default::default(),
                threads: None,
            }),
        };
        let inputs = vec![
            (
                0.0,
                Input::Reset {
                    run: run.clone(),
                    window_s: 60.0,
                },
            ),
            (
                0.1,
                Input::Launched {
                    side: Side::Async,
                    target_units: 5,
                },
            ),
            (0.2, sample(0, 0)),
            (1.2, sample(1000, 333)),
            (1.3, Input::Outside { cores: 0.1 + 0.2 }),
            (1.4, Input::Tick),
            (
                1.5,
                Input::Error {
                    side: Side::Threads,
                    text: "x".into(),
                },
            ),
        ];
        let mut live = Model::new(run.clone(), 60.0);
        let mut replayed = Model::new(run, 60.0);
        for (t, input) in inputs {
            let line = serde_json::to_string(&input).expect("serializes");
            let back: Input = serde_json::from_str(&line).expect("parses");
            assert_eq!(back, input, "{line}");
            live.feed(input, t);
            replayed.feed(back, t);
        }
        // Debug text: NaN (a figure not measured) is not equal to itself.
        assert_eq!(format!("{live:?}"), format!("{replayed:?}"));
        assert!(live.side(Side::Async).figures.is_some());
        assert_eq!(live.outside_cores, Some(0.1 + 0.2));
    }

    #[test]
    fn an_unknown_headline_figure_or_field_does_not_load() {
        let mut v = serde_json::to_value(Input::Run {
            run: crate::model::tests::run(),
        })
        .expect("serializes");
        v["run"]["headline"] = serde_json::json!(["no_such_figure"]);
        let e = serde_json::from_value::<Input>(v).expect_err("refused");
        assert!(
            e.to_string().contains("unknown figure 'no_such_figure'"),
            "{e}"
        );
        let e = serde_json::from_str::<Input>(r#"{"kind":"outside","cores":1.0,"extra":1}"#);
        assert!(e.is_err());
    }
}
