//! Workload parameters declared as data: name, default, allowed range. Validation lives here once.

use std::collections::BTreeMap;

use crate::protocol::ParamValue;

/// One parameter of a workload kind.
#[derive(Debug, Clone, Copy)]
pub struct ParamDef {
    pub name: &'static str,
    pub default: ParamValue,
    /// Inclusive range for numbers; ignored for booleans.
    pub min: f64,
    pub max: f64,
    pub help: &'static str,
    /// An integer the `f` key flips between 0 (off) and this value, or the last non-zero value it
    /// had (`flipping`); None: `f` flips only on/off flags.
    pub flips_to: Option<i64>,
    /// Values the `f` key steps through in turn (`cycling`), after the one in force; empty: none.
    pub cycle: &'static [i64],
    /// Names the values of an integer parameter go by (`choice`): value i is `choices[i]`.
    /// Empty for plain numbers.
    pub choices: &'static [&'static str],
    /// What 0 stands for, when it is not plain zero: the header shows the value in force instead.
    pub zero: Zero,
    /// A change takes new workers (`f` restarts both sides) rather than a live `SetParam`.
    pub restarts: bool,
}

/// What a 0 of an integer parameter stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zero {
    /// Zero is zero.
    Zero,
    /// One per async worker thread (`spinners`, `blockers`).
    PerWorker,
    /// As many as the side's units (`connections`).
    Units,
}

impl ParamDef {
    pub const fn int(
        name: &'static str,
        default: i64,
        min: i64,
        max: i64,
        help: &'static str,
    ) -> Self {
        ParamDef {
            name,
            default: ParamValue::Int(default),
            min: min as f64,
            max: max as f64,
            help,
            flips_to: None,
            cycle: &[],
            choices: &[],
            zero: Zero::Zero,
            restarts: false,
        }
    }

    pub const fn float(
        name: &'static str,
        default: f64,
        min: f64,
        max: f64,
        help: &'static str,
    ) -> Self {
        ParamDef {
            name,
            default: ParamValue::Float(default),
            min,
            max,
            help,
            flips_to: None,
            cycle: &[],
            choices: &[],
            zero: Zero::Zero,
            restarts: false,
        }
    }

    /// A parameter that takes one of `choices` by name (`--set via=pipe`), kept as its index.
    pub const fn choice(
        name: &'static str,
        choices: &'static [&'static str],
        default: i64,
        help: &'static str,
    ) -> Self {
        ParamDef {
            name,
            default: ParamValue::Int(default),
            min: 0.0,
            max: choices.len().saturating_sub(1) as f64,
            help,
            flips_to: None,
            cycle: &[],
            choices,
            zero: Zero::Zero,
            restarts: false,
        }
    }

    /// A value as the user names it: the choice's name, else the number or flag.
    pub fn show(&self, value: &ParamValue) -> String {
        usize::try_from(value.as_i64())
            .ok()
            .and_then(|i| self.choices.get(i))
            .filter(|_| !self.choices.is_empty())
            .map_or_else(|| value.to_string(), |c| (*c).to_string())
    }

    /// The same parameter, with 0 standing for `zero`.
    pub const fn zero_means(mut self, zero: Zero) -> Self {
        self.zero = zero;
        self
    }

    /// The same parameter, stepped by `f` through `values` (see `cycle`).
    pub const fn cycling(mut self, values: &'static [i64]) -> Self {
        self.cycle = values;
        self
    }

    /// The value after `now` in `cycle` (the first when `now` is not in it); None without a cycle.
    pub fn next_in_cycle(&self, now: i64) -> Option<i64> {
        let first = *self.cycle.first()?;
        let at = self.cycle.iter().position(|&v| v == now);
        Some(
            at.and_then(|i| self.cycle.get(i + 1).copied())
                .unwrap_or(first),
        )
    }

    /// The same parameter, flipped by `f` between 0 and `on` (see `flips_to`).
    pub const fn flipping(mut self, on: i64) -> Self {
        self.flips_to = Some(on);
        self
    }

    /// The same parameter, changed by restarting the workers (see `restarts`).
    pub const fn restarting(mut self) -> Self {
        self.restarts = true;
        self
    }

    pub const fn flag(name: &'static str, default: bool, help: &'static str) -> Self {
        ParamDef {
            name,
            default: ParamValue::Bool(default),
            min: 0.0,
            max: 1.0,
            help,
            flips_to: None,
            cycle: &[],
            choices: &[],
            zero: Zero::Zero,
            restarts: false,
        }
    }

    /// "integer 1..=10000" and the like, for error messages and `--list`.
    pub fn allowed(&self) -> String {
        if !self.choices.is_empty() {
            return format!("one of {}", self.choices.join(", "));
        }
        match self.default {
            ParamValue::Bool(_) => "true or false".into(),
            ParamValue::Int(_) => format!("an integer from {} to {}", self.min, self.max),
            ParamValue::Float(_) => format!("a number from {} to {}", self.min, self.max),
        }
    }

    /// Parses text given on the command line.
    pub fn parse(&self, text: &str) -> Result<ParamValue, String> {
        let text = text.trim();
        if !self.choices.is_empty() {
            let i = self.choices.iter().position(|c| *c == text);
            return i
                .map(|i| ParamValue::Int(i as i64))
                .ok_or_else(|| self.complaint(text));
        }
        let value = match self.default {
            ParamValue::Bool(_) => match text {
                "true" | "on" | "yes" | "1" => ParamValue::Bool(true),
                "false" | "off" | "no" | "0" => ParamValue::Bool(false),
                _ => return Err(self.complaint(text)),
            },
            ParamValue::Int(_) => ParamValue::Int(
                text.replace('_', "")
                    .parse()
                    .map_err(|_| self.complaint(text))?,
            ),
            ParamValue::Float(_) => {
                ParamValue::Float(text.parse().map_err(|_| self.complaint(text))?)
            }
        };
        self.check(&value)
    }

    /// Checks the kind and range of a value, e.g. one read from TOML.
    pub fn check(&self, value: &ParamValue) -> Result<ParamValue, String> {
        let ok = match (self.default, value) {
            (ParamValue::Bool(_), ParamValue::Bool(_)) => true,
            (ParamValue::Int(_), ParamValue::Int(i)) => {
                (*i as f64) >= self.min && (*i as f64) <= self.max
            }
            (ParamValue::Float(_), ParamValue::Float(f)) => *f >= self.min && *f <= self.max,
            (ParamValue::Float(_), ParamValue::Int(i)) => {
                return self.check(&ParamValue::Float(*i as f64));
            }
            _ => false,
        };
        if ok {
            Ok(*value)
        } else {
            Err(self.complaint(&self.show(value)))
        }
    }

    fn complaint(&self, given: &str) -> String {
        format!(
            "{}={given} is not allowed: {} takes {}",
            self.name,
            self.name,
            self.allowed()
        )
    }
}

/// The resolved parameters of one workload: every name of its table, defaults filled in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Params(pub BTreeMap<String, ParamValue>);

impl Params {
    /// Defaults of `defs` overridden by `given`; unknown names and bad values are refused.
    pub fn resolve(
        defs: &[ParamDef],
        given: &BTreeMap<String, ParamValue>,
    ) -> Result<Params, String> {
        let mut out = BTreeMap::new();
        for d in defs {
            out.insert(d.name.to_string(), d.default);
        }
        for (name, value) in given {
            let def = defs
                .iter()
                .find(|d| d.name == name)
                .ok_or_else(|| unknown(defs, name))?;
            out.insert(name.clone(), def.check(value)?);
        }
        Ok(Params(out))
    }

    pub fn int(&self, name: &str) -> i64 {
        self.0.get(name).map_or(0, ParamValue::as_i64)
    }

    pub fn float(&self, name: &str) -> f64 {
        self.0.get(name).map_or(0.0, ParamValue::as_f64)
    }

    pub fn flag(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(ParamValue::as_bool)
    }
}

/// Checks a live change of the one flag `live` that a kind lets change while running; any other
/// known name is refused as not live, an unknown one as unknown. Returns the new value.
pub fn live_flag(
    defs: &[ParamDef],
    live: &str,
    name: &str,
    value: &ParamValue,
) -> Result<bool, String> {
    live_param(defs, live, name, value).map(|v| v.as_bool())
}

/// `live_flag` for a parameter of any kind: the checked new value.
pub fn live_param(
    defs: &[ParamDef],
    live: &str,
    name: &str,
    value: &ParamValue,
) -> Result<ParamValue, String> {
    let def = defs
        .iter()
        .find(|d| d.name == name)
        .ok_or_else(|| unknown(defs, name))?;
    if name != live {
        return Err(format!("parameter {name} cannot change while running"));
    }
    def.check(value)
}

/// "unknown parameter x (known: a, b)".
pub fn unknown(defs: &[ParamDef], name: &str) -> String {
    let known: Vec<_> = defs.iter().map(|d| d.name).collect();
    if known.is_empty() {
        format!("unknown parameter {name}: this workload takes none")
    } else {
        format!("unknown parameter {name} (known: {})", known.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_steps_through_its_values_and_wraps() {
        let pool = ParamDef::int("pool_threads", 8, 1, 1024, "threads").cycling(&[2, 8, 32]);
        assert_eq!(pool.next_in_cycle(8), Some(32));
        assert_eq!(pool.next_in_cycle(32), Some(2));
        assert_eq!(
            pool.next_in_cycle(5),
            Some(2),
            "a value off the cycle starts it"
        );
        assert_eq!(DEFS[0].next_in_cycle(100), None);
    }

    #[test]
    fn a_choice_is_named_on_the_way_in_and_out() {
        let via = ParamDef::choice("via", &["channel", "pipe"], 0, "how");
        assert_eq!(via.parse("pipe"), Ok(ParamValue::Int(1)));
        assert_eq!(via.show(&ParamValue::Int(1)), "pipe");
        let err = via.parse("carrier-pigeon").err().unwrap_or_default();
        assert!(err.contains("one of channel, pipe"), "{err}");
        assert!(via.check(&ParamValue::Int(2)).is_err());
        assert!(via.parse("1").is_err(), "a choice goes by its name");
    }

    const DEFS: &[ParamDef] = &[
        ParamDef::int("sleep_ms", 100, 1, 60_000, "ms"),
        ParamDef::flag("fix", false, "x"),
    ];

    #[test]
    fn defaults_fill_in_and_overrides_apply() {
        let mut given = BTreeMap::new();
        given.insert("fix".to_string(), ParamValue::Bool(true));
        let p = Params::resolve(DEFS, &given).expect("valid");
        assert_eq!(p.int("sleep_ms"), 100);
        assert!(p.flag("fix"));
    }

    #[test]
    fn bad_values_are_named() {
        assert!(DEFS[0].parse("abc").unwrap_err().contains("sleep_ms=abc"));
        assert!(DEFS[0].parse("0").unwrap_err().contains("from 1 to 60000"));
        assert!(DEFS[1].parse("maybe").is_err());
        assert_eq!(DEFS[0].parse("1_000"), Ok(ParamValue::Int(1000)));
        let mut given = BTreeMap::new();
        given.insert("nope".to_string(), ParamValue::Int(1));
        assert!(
            Params::resolve(DEFS, &given)
                .unwrap_err()
                .contains("known: sleep_ms, fix")
        );
        given.clear();
        given.insert("fix".to_string(), ParamValue::Int(1));
        assert!(Params::resolve(DEFS, &given).is_err());
    }
}
