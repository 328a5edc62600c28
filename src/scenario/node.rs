//! A TOML document as a tree that keeps where each key and value stands, so every complaint about a
//! file can name its line and column. Parsed with toml_edit, which keeps spans for every key,
//! including those of `[a.b]` headers and dotted keys (serde's `Spanned` cannot follow those).

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml_edit::{Document, Item, Table, Value};

/// One key of a table and its value, each with its place in the text.
pub type Entry = (Spanned<String>, Spanned<Node>);

/// A table (keys in file order, each with its span) or any other value.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Table(Vec<Entry>),
    /// `[[name]]` tables in file order, each with the place of its header (talk files' steps).
    Tables(Vec<Spanned<Vec<Entry>>>),
    Value(toml::Value),
}

impl Node {
    /// "an integer", "a string", ... for "wrong type" complaints.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Table(_) => "a table",
            Node::Tables(_) => "a list of tables",
            Node::Value(v) => match v {
                toml::Value::String(_) => "a string",
                toml::Value::Integer(_) => "an integer",
                toml::Value::Float(_) => "a number with a fraction",
                toml::Value::Boolean(_) => "true or false",
                toml::Value::Datetime(_) => "a date",
                toml::Value::Array(_) => "a list",
                toml::Value::Table(_) => "a table",
            },
        }
    }
}

/// A named text, to put places in it in front of messages.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    /// "FILE:LINE:COL: message" for the byte range `span`; lines and columns count from 1.
    pub fn at(&self, span: Range<usize>, message: impl fmt::Display) -> String {
        let start = span.start.min(self.text.len());
        let before = self.text.get(..start).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = before
            .rsplit('\n')
            .next()
            .map_or(0, |tail| tail.chars().count())
            + 1;
        // One line whatever the message holds.
        let message = message.to_string().replace('\n', " ");
        format!("{}:{line}:{col}: {}", self.name, message.trim())
    }

    /// Parses the whole text into the entries of its top table; a syntax error names its place.
    pub fn parse(&self) -> Result<Vec<Entry>, String> {
        let doc = Document::parse(self.text)
            .map_err(|e| self.at(e.span().unwrap_or(0..0), e.message()))?;
        Ok(table(doc.as_table(), 0..0))
    }
}

/// The entries of a table; a key or value without a span of its own takes the nearest one known.
fn table(t: &Table, around: Range<usize>) -> Vec<Entry> {
    t.iter()
        .map(|(name, item)| {
            let key_span = t.key(name).and_then(|k| k.span()).unwrap_or(around.clone());
            let value_span = item.span().unwrap_or(key_span.clone());
            let node = match item {
                Item::Table(inner) => Node::Table(table(inner, key_span.clone())),
                Item::Value(v) => value(v, value_span.clone()),
                Item::ArrayOfTables(list) => Node::Tables(
                    list.iter()
                        .map(|t| {
                            let span = t.span().unwrap_or(key_span.clone());
                            Spanned::new(span.clone(), table(t, span))
                        })
                        .collect(),
                ),
                Item::None => Node::Value(toml::Value::Array(Vec::new())),
            };
            (
                Spanned::new(key_span, name.to_string()),
                Spanned::new(value_span, node),
            )
        })
        .collect()
}

fn value(v: &Value, around: Range<usize>) -> Node {
    match v {
        Value::InlineTable(t) => Node::Table(
            t.iter()
                .map(|(name, inner)| {
                    let key_span = t.key(name).and_then(|k| k.span()).unwrap_or(around.clone());
                    let value_span = inner.span().unwrap_or(key_span.clone());
                    (
                        Spanned::new(key_span, name.to_string()),
                        Spanned::new(value_span.clone(), value(inner, value_span)),
                    )
                })
                .collect(),
        ),
        other => Node::Value(plain(other)),
    }
}

/// A value without spans, for values that are never looked into (lists, dates).
fn plain(v: &Value) -> toml::Value {
    match v {
        Value::String(s) => toml::Value::String(s.value().clone()),
        Value::Integer(i) => toml::Value::Integer(*i.value()),
        Value::Float(f) => toml::Value::Float(*f.value()),
        Value::Boolean(b) => toml::Value::Boolean(*b.value()),
        Value::Datetime(d) => toml::Value::Datetime(*d.value()),
        Value::Array(a) => toml::Value::Array(a.iter().map(plain).collect()),
        Value::InlineTable(_) => toml::Value::Table(toml::Table::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source<'_> {
        Source {
            name: "f.toml",
            text,
        }
    }

    fn inner<'a>(entries: &'a [Entry], key: &str) -> &'a Spanned<Node> {
        &entries
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .unwrap_or_else(|| panic!("no {key}"))
            .1
    }

    fn entries(n: &Spanned<Node>) -> &[Entry] {
        match n.get_ref() {
            Node::Table(e) => e,
            _ => panic!("not a table"),
        }
    }

    #[test]
    fn keys_and_values_keep_their_place_under_headers_and_dots() {
        let text = "a = 1\n[t.u]\n  b = \"x\"\n[t.u.w]\nc.d = { e = true }\n";
        let top = source(text).parse().expect("valid");
        let u = inner(entries(inner(&top, "t")), "u");
        let (b_key, b_value) = &entries(u)[0];
        assert_eq!(source(text).at(b_key.span(), "k"), "f.toml:3:3: k");
        assert_eq!(source(text).at(b_value.span(), "v"), "f.toml:3:7: v");
        assert_eq!(b_value.get_ref().kind(), "a string");
        let w = inner(entries(u), "w");
        let d = inner(entries(inner(entries(w), "c")), "d");
        let (e_key, e_value) = &entries(d)[0];
        assert_eq!(source(text).at(e_key.span(), "k"), "f.toml:5:9: k");
        assert_eq!(e_value.get_ref(), &Node::Value(toml::Value::Boolean(true)));
        let (u_key, _) = &entries(inner(&top, "t"))[0];
        assert_eq!(source(text).at(u_key.span(), "k"), "f.toml:2:4: k");
    }

    #[test]
    fn syntax_errors_name_line_and_column_in_one_line() {
        let e = source("a = 1\nb = = 2\n").parse().unwrap_err();
        assert!(e.starts_with("f.toml:2:5: "), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
}
