//! A small XML well-formedness check for the SVG we write (tests and `versus replay --svg` use it):
//! one root, tags nested and closed, attributes quoted and not repeated, `&` only in known entities,
//! no raw `<` in text. Not a validator; enough to catch what a broken writer would produce.

/// Ok when `doc` is well-formed XML; else what is wrong and at which byte.
pub fn check_well_formed(doc: &str) -> Result<(), String> {
    let b = doc.as_bytes();
    let mut i = 0;
    let mut stack: Vec<&str> = Vec::new();
    let mut roots = 0;
    let err = |at: usize, what: &str| Err(format!("byte {at}: {what}"));
    while i < b.len() {
        if b[i] != b'<' {
            let end = doc[i..].find('<').map_or(b.len(), |n| i + n);
            let text = &doc[i..end];
            if stack.is_empty() && !text.trim().is_empty() {
                return err(i, "text outside the root element");
            }
            check_text(text).map_err(|e| format!("byte {i}: {e}"))?;
            i = end;
            continue;
        }
        let rest = &doc[i..];
        if rest.starts_with("<?") {
            if roots > 0 || !stack.is_empty() {
                return err(i, "processing instruction after the root");
            }
            i += rest.find("?>").ok_or("unclosed <?")? + 2;
        } else if rest.starts_with("<!--") {
            i += rest.find("-->").ok_or("unclosed comment")? + 3;
        } else if let Some(close) = rest.strip_prefix("</") {
            let end = close.find('>').ok_or("unclosed end tag")?;
            let name = close[..end].trim_end();
            match stack.pop() {
                Some(open) if open == name => {}
                Some(open) => return err(i, &format!("</{name}> closes <{open}>")),
                None => return err(i, &format!("</{name}> with nothing open")),
            }
            i += 2 + end + 1;
        } else {
            let end = tag_end(rest).ok_or_else(|| format!("byte {i}: unclosed tag"))?;
            let inner = &rest[1..end];
            let (inner, empty) = match inner.strip_suffix('/') {
                Some(s) => (s, true),
                None => (inner, false),
            };
            let name_len = inner
                .find(|c: char| c.is_ascii_whitespace())
                .unwrap_or(inner.len());
            let name = &inner[..name_len];
            if !is_name(name) {
                return err(i, &format!("bad element name '{name}'"));
            }
            check_attributes(&inner[name_len..]).map_err(|e| format!("byte {i}: <{name}>: {e}"))?;
            if stack.is_empty() {
                roots += 1;
                if roots > 1 {
                    return err(i, "a second root element");
                }
            }
            if !empty {
                stack.push(name);
            }
            i += end + 1;
        }
    }
    match (stack.last(), roots) {
        (Some(open), _) => Err(format!("<{open}> is never closed")),
        (None, 0) => Err("no root element".into()),
        _ => Ok(()),
    }
}

/// Index of the `>` that ends the tag starting at 0, skipping quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            (None, '<') => return None,
            _ => {}
        }
    }
    None
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_:.-".contains(c))
}

/// `name="value"` pairs, each name once.
fn check_attributes(mut s: &str) -> Result<(), String> {
    let mut seen: Vec<&str> = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Ok(());
        }
        let eq = s
            .find('=')
            .ok_or_else(|| format!("attribute without value in '{s}'"))?;
        let name = s[..eq].trim_end();
        if !is_name(name) {
            return Err(format!("bad attribute name '{name}'"));
        }
        if seen.contains(&name) {
            return Err(format!("attribute {name} twice"));
        }
        seen.push(name);
        let after = s[eq + 1..].trim_start();
        let q = after
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
            .ok_or_else(|| format!("attribute {name} not quoted"))?;
        let close = after[1..]
            .find(q)
            .ok_or_else(|| format!("attribute {name} not closed"))?;
        let value = &after[1..1 + close];
        if value.contains('<') {
            return Err(format!("'<' in attribute {name}"));
        }
        check_text(value)?;
        s = &after[close + 2..];
        if !(s.is_empty() || s.starts_with(|c: char| c.is_ascii_whitespace())) {
            return Err(format!("no space after attribute {name}"));
        }
    }
}

/// Every `&` starts a known entity or a character reference.
fn check_text(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        let after = &rest[at + 1..];
        let end = after.find(';').ok_or("'&' without ';'")?;
        let entity = &after[..end];
        let ok = matches!(entity, "amp" | "lt" | "gt" | "quot" | "apos")
            || entity
                .strip_prefix("#x")
                .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            || entity
                .strip_prefix('#')
                .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
        if !ok {
            return Err(format!("unknown entity &{entity};"));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_well_formed;

    #[test]
    fn good_documents_pass() {
        for ok in [
            r#"<svg a="1"><text x='2'>a &amp; b &#x2500;</text><rect/></svg>"#,
            "<?xml version=\"1.0\"?>\n<!-- c --><a>\n</a>\n",
            r#"<a b="x > y"/>"#,
        ] {
            assert_eq!(check_well_formed(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn broken_documents_are_caught() {
        for bad in [
            "<a><b></a></b>",
            "<a>",
            "<a>x & y</a>",
            "<a>x < y</a>",
            r#"<a b=1/>"#,
            r#"<a b="1" b="2"/>"#,
            "<a/><b/>",
            "text",
            "<a>&bogus;</a>",
            r#"<a b="1"c="2"/>"#,
            "",
        ] {
            assert!(check_well_formed(bad).is_err(), "{bad}");
        }
    }
}
