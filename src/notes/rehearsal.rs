//! What the rehearsal measured, for the notes screen: the JSON `versus --talk NAME --headless`
//! prints, read once when `versus notes --rehearsal FILE` starts, one headline per step.

use serde_json::Value;

/// A rehearsal's talk and the headline of each step, as the rehearsal printed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rehearsal {
    pub talk: String,
    /// (index from 1, title, the headline in words).
    pub steps: Vec<(usize, String, String)>,
}

impl Rehearsal {
    /// Reads the rehearsal's JSON; one line naming the file when it is not one.
    pub fn read(path: &std::path::Path) -> Result<Rehearsal, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--rehearsal {}: {e}", path.display()))?;
        Rehearsal::parse(&text).map_err(|e| format!("--rehearsal {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Rehearsal, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| {
            format!(
                "not a rehearsal's JSON (line {}: {}); make one with versus --talk NAME --headless > FILE",
                e.line(),
                e.to_string().split(" at line").next().unwrap_or("")
            )
        })?;
        let (Some(talk), Some(steps)) = (doc["talk"].as_str(), doc["steps"].as_array()) else {
            return Err(
                "not a rehearsal's JSON (no talk and steps); make one with versus --talk NAME --headless > FILE"
                    .into(),
            );
        };
        let steps = steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let index = s["index"]
                    .as_u64()
                    .map_or(i + 1, |n| usize::try_from(n).unwrap_or(usize::MAX));
                let title = s["title"].as_str().unwrap_or_default().to_string();
                (index, title, headline_words(&s["headline"]))
            })
            .collect();
        Ok(Rehearsal {
            talk: talk.to_string(),
            steps,
        })
    }

    /// "rehearsed: …" for the step on screen, or why there is nothing to show.
    pub fn line_for(&self, talk: &str, index: usize, title: &str) -> String {
        if self.talk != talk {
            return format!(
                "rehearsed: the rehearsal read is of talk {}, not this one",
                self.talk
            );
        }
        match self
            .steps
            .iter()
            .find(|(i, t, _)| *i == index && t == title)
        {
            Some((_, _, words)) => format!("rehearsed: {words}"),
            None => format!("rehearsed: no step {index} \"{title}\" in the rehearsal read"),
        }
    }
}

/// A headline of the rehearsal's JSON in words. Its own words when it carries them; else the
/// figure with both values and the ratio, as printed.
fn headline_words(h: &Value) -> String {
    if h.is_null() {
        return "no headline (a side did not report)".into();
    }
    if let Some(s) = h.as_str() {
        return s.to_string();
    }
    for key in ["words", "text", "verdict"] {
        if let Some(s) = h[key].as_str().filter(|s| !s.is_empty()) {
            return s.to_string();
        }
    }
    let figure = h["figure"].as_str().unwrap_or("headline");
    let name = crate::model::headline::find(figure).map_or(figure, |d| d.words());
    let value = |v: &Value| {
        v.as_f64()
            .map_or("—".to_string(), crate::ui::format::compact)
    };
    let mut out = format!(
        "{name}: async {} vs threads {}",
        value(&h["async"]),
        value(&h["threads"])
    );
    if let Some(better) = h["better"].as_str() {
        out.push_str(&format!(" · {better} better"));
    }
    if let Some(r) = h["ratio"].as_f64() {
        out.push_str(&format!(" · ratio {}", crate::ui::format::compact(r)));
    }
    if h["comparable"] == Value::Bool(false) {
        let why = h["reason"].as_str().unwrap_or("not compared");
        out.push_str(&format!(" ({why})"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"versus":"0.1.0","talk":"t.toml","title":"T","total_s":5.0,"steps":[
        {"index":1,"title":"Ten each","headline":{"figure":"rss_per_unit","async":610.0,"threads":9800.0,"ratio":16.07,"comparable":true,"reason":null}},
        {"index":2,"title":"Twenty","headline":null},
        {"index":3,"title":"Words","headline":{"figure":"x","words":"threads 16× heavier"}}]}"#;

    #[test]
    fn each_step_has_its_headline_in_words() {
        let r = Rehearsal::parse(DOC).expect("a rehearsal");
        assert_eq!(r.steps.len(), 3);
        let one = r.line_for("t.toml", 1, "Ten each");
        assert!(one.starts_with("rehearsed: per unit: async 610"), "{one}");
        assert!(one.contains("ratio 16"), "{one}");
        assert_eq!(
            r.line_for("t.toml", 2, "Twenty"),
            "rehearsed: no headline (a side did not report)"
        );
        assert_eq!(
            r.line_for("t.toml", 3, "Words"),
            "rehearsed: threads 16× heavier"
        );
        assert!(r.line_for("t.toml", 2, "Renamed").contains("no step 2"));
        assert!(
            r.line_for("other", 1, "Ten each")
                .contains("of talk t.toml")
        );
    }

    #[test]
    fn a_file_that_is_not_a_rehearsal_is_one_line() {
        for bad in ["", "{", "[1]", "{\"talk\":1}"] {
            let e = Rehearsal::parse(bad).expect_err(bad);
            assert!(e.starts_with("not a rehearsal's JSON"), "{e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }
}
