//! Layers that point one way (issue 19): every `crate::` path in every file under `src/` and
//! `crates/versus-worker/src/` (in `use`
//! lines, grouped `use crate::{a, b::c}`, and inline like `crate::ui::theme::ACCENT`), and every
//! `super::` path that climbs out of its top-level module, must name a top-level module of the same
//! layer or a lower one in `versus::layers::LAYERS`; and the top-level modules must not use each other
//! in a circle. A failure prints each offending `file:line`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use versus::layers::{ALLOWED, LAYERS};

/// One use of another top-level module: from `from` (file, line) to `to`.
#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    file: String,
    line: usize,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src/")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The text with comments and the insides of string and char literals blanked to spaces (newlines
/// kept), so a `crate::` in a doc comment or a message is not read as a path.
fn code_only(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '_'))
        {
            // A raw string r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            for _ in i..=j {
                out.push(' ');
            }
            i = j + 1;
            while i < b.len() {
                if b[i] == '"' && (1..=hashes).all(|k| b.get(i + k) == Some(&'#')) {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += hashes + 1;
                    break;
                }
                out.push(blank(b[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && (next == Some('\\') || b.get(i + 2) == Some(&'\'')) {
            // A char literal ('x', '\n', '\''); a lifetime ('a) has no closing quote right after.
            out.push(' ');
            i += 1;
            if b.get(i) == Some(&'\\') {
                out.push(' ');
                i += 1;
            }
            while i < b.len() && b[i] != '\'' {
                out.push(blank(b[i]));
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Skips spaces (and newlines, counting them).
fn skip_ws(b: &[char], mut i: usize, line: &mut usize) -> usize {
    while i < b.len() && b[i].is_whitespace() {
        if b[i] == '\n' {
            *line += 1;
        }
        i += 1;
    }
    i
}

fn ident_at(b: &[char], i: usize) -> (String, usize) {
    let mut j = i;
    while j < b.len() && is_ident(b[j]) {
        j += 1;
    }
    (b[i..j].iter().collect(), j)
}

/// The first segments of the paths that follow a `::` at `i` (one, or each item of a `{...}` group),
/// each with its line. `i` points just past the `::`.
fn first_segments(b: &[char], i: usize, line: usize, out: &mut Vec<(String, usize)>) {
    let mut line = line;
    let i = skip_ws(b, i, &mut line);
    if b.get(i) == Some(&'{') {
        // A group: each item's first segment, at brace depth 1.
        let mut j = i + 1;
        let mut depth = 1;
        let mut at_item_start = true;
        while j < b.len() && depth > 0 {
            let c = b[j];
            if c == '\n' {
                line += 1;
            }
            if c == '{' {
                depth += 1;
            } else if c == '}' {
                depth -= 1;
            } else if c == ',' && depth == 1 {
                at_item_start = true;
            } else if at_item_start && depth == 1 && is_ident(c) {
                let (name, end) = ident_at(b, j);
                out.push((name, line));
                at_item_start = false;
                j = end;
                continue;
            }
            j += 1;
        }
    } else if i < b.len() && is_ident(b[i]) {
        out.push((ident_at(b, i).0, line));
    }
}

/// Every use of another top-level module in one file. `module` is the file's module path
/// (`["ui", "panel"]` for src/ui/panel.rs), `top` its top-level module.
fn edges_of(file: &str, module: &[String], text: &str) -> Vec<Edge> {
    let code = code_only(text);
    let b: Vec<char> = code.chars().collect();
    let top = module[0].clone();
    let mut out = Vec::new();
    // Inline modules (`mod tests { ... }`), each with the brace depth it opened at.
    let mut inline: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut line = 1;
    let mut i = 0;
    let mut targets = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c == '\n' {
            line += 1;
        } else if c == '{' {
            depth += 1;
        } else if c == '}' {
            depth = depth.saturating_sub(1);
            if inline.last() == Some(&depth) {
                inline.pop();
            }
        }
        if !is_ident(c) || (i > 0 && is_ident(b[i - 1])) {
            i += 1;
            continue;
        }
        let (word, end) = ident_at(&b, i);
        match word.as_str() {
            "mod" => {
                let mut l = line;
                let j = skip_ws(&b, end, &mut l);
                let (_, after) = ident_at(&b, j);
                let k = skip_ws(&b, after, &mut l);
                if after > j && b.get(k) == Some(&'{') {
                    inline.push(depth);
                }
            }
            "crate" if b.get(end) == Some(&':') && b.get(end + 1) == Some(&':') => {
                targets.clear();
                first_segments(&b, end + 2, line, &mut targets);
                for (to, l) in targets.drain(..) {
                    out.push(Edge {
                        from: top.clone(),
                        to,
                        file: file.to_string(),
                        line: l,
                    });
                }
            }
            "super" if b.get(end) == Some(&':') && b.get(end + 1) == Some(&':') => {
                // Count the supers; the path climbs out of the top-level module when it has
                // more of them than the module path (file and inline) is deep below the crate.
                let mut supers = 1;
                let mut j = end + 2;
                loop {
                    let (w, e) = ident_at(&b, j);
                    if w == "super" && b.get(e) == Some(&':') && b.get(e + 1) == Some(&':') {
                        supers += 1;
                        j = e + 2;
                    } else {
                        break;
                    }
                }
                let deep = module.len() + inline.len();
                if supers >= deep {
                    targets.clear();
                    if supers == deep {
                        first_segments(&b, j, line, &mut targets);
                    } else {
                        targets.push(("<above the crate>".to_string(), line));
                    }
                    for (to, l) in targets.drain(..) {
                        out.push(Edge {
                            from: top.clone(),
                            to,
                            file: file.to_string(),
                            line: l,
                        });
                    }
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i = end;
    }
    out.retain(|e| e.to != e.from && e.to != "self" && e.to != "super");
    out
}

/// The two source roots: the main crate and the worker crate (crates/versus-worker), whose
/// top-level modules the main crate re-exports under the same names.
const ROOTS: &[&str] = &["src", "crates/versus-worker/src"];

fn all_edges() -> Vec<Edge> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut edges = Vec::new();
    for dir in ROOTS {
        let src = root.join(dir);
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for path in files {
            let rel = path.strip_prefix(&src).expect("under its root");
            let mut module: Vec<String> = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|m| m == "mod") {
                module.pop();
            }
            // lib.rs and main.rs are the crate root and the binary: above every layer.
            if module == ["lib"] || module == ["main"] {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read source file");
            let shown = format!("{dir}/{}", rel.display());
            edges.extend(edges_of(&shown, &module, &text));
        }
    }
    edges
}

/// The `pub mod` names a crate root declares.
fn declared_modules(lib: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(lib);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';').to_string())
        .collect()
}

fn layer_of() -> BTreeMap<&'static str, usize> {
    let mut map = BTreeMap::new();
    for (n, (_, modules)) in LAYERS.iter().enumerate() {
        for m in *modules {
            assert!(map.insert(*m, n).is_none(), "`{m}` is in two layers");
        }
    }
    map
}

#[test]
fn every_top_level_module_has_a_layer() {
    let layers = layer_of();
    let mut declared = declared_modules("src/lib.rs");
    declared.extend(declared_modules("crates/versus-worker/src/lib.rs"));
    assert!(declared.len() > 10, "too few `pub mod` read: {declared:?}");
    let missing: Vec<_> = declared
        .iter()
        .filter(|m| !layers.contains_key(m.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a layer in src/layers.rs: {missing:?}"
    );
    let stale: Vec<_> = layers.keys().filter(|m| !declared.contains(**m)).collect();
    assert!(
        stale.is_empty(),
        "src/layers.rs names modules neither lib.rs declares: {stale:?}"
    );
}

#[test]
fn the_worker_crate_holds_nothing_above_the_worker_side() {
    let layers = layer_of();
    let worker_side = LAYERS
        .iter()
        .position(|(name, _)| *name == "worker side")
        .expect("a layer named \"worker side\"");
    let worker = declared_modules("crates/versus-worker/src/lib.rs");
    let above: Vec<_> = worker
        .iter()
        .filter(|m| layers.get(m.as_str()).is_none_or(|&l| l > worker_side))
        .collect();
    assert!(
        above.is_empty(),
        "crates/versus-worker holds modules above the worker side: {above:?}"
    );
    let main = declared_modules("src/lib.rs");
    let both: Vec<_> = worker.intersection(&main).collect();
    assert!(both.is_empty(), "declared in both crates: {both:?}");
}

/// Packages in Cargo.lock that `name` depends on, directly or not.
fn locked_dependencies(name: &str) -> BTreeSet<String> {
    let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"))
        .expect("read Cargo.lock");
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in lock.split("[[package]]").skip(1) {
        let Some(pname) = package.lines().find_map(|l| l.strip_prefix("name = ")) else {
            continue;
        };
        let list = package
            .split_once("dependencies = [")
            .map(|(_, rest)| rest.split(']').next().unwrap_or(""))
            .unwrap_or("");
        let names = list
            .split(',')
            .filter_map(|d| d.trim().trim_matches('"').split(' ').next())
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect();
        deps.insert(pname.trim_matches('"').to_string(), names);
    }
    assert!(deps.contains_key(name), "{name} is not in Cargo.lock");
    let mut seen = BTreeSet::new();
    let mut stack = vec![name.to_string()];
    while let Some(p) = stack.pop() {
        for d in deps.get(&p).into_iter().flatten() {
            if seen.insert(d.clone()) {
                stack.push(d.clone());
            }
        }
    }
    seen
}

#[test]
fn the_worker_crate_does_not_depend_on_the_ui() {
    let worker = locked_dependencies("versus-worker");
    assert!(
        worker.contains("tokio"),
        "the reader found no dependency: {worker:?}"
    );
    let main = locked_dependencies("versus");
    assert!(
        main.contains("ratatui") && main.contains("versus-worker"),
        "{main:?}"
    );
    let ui: Vec<_> = ["ratatui", "crossterm", "clap", "sysinfo", "tui-big-text"]
        .into_iter()
        .filter(|d| worker.contains(*d))
        .collect();
    assert!(ui.is_empty(), "versus-worker depends on {ui:?}");
}

/// Adds `line` unless it is there already (two paths to one module on one line).
fn push_once(lines: &mut Vec<String>, line: String) {
    if !lines.contains(&line) {
        lines.push(line);
    }
}

fn allowed(e: &Edge) -> bool {
    ALLOWED
        .iter()
        .any(|(from, to, _)| *from == e.from && *to == e.to)
}

#[test]
fn no_use_points_up_a_layer() {
    let layers = layer_of();
    let mut bad = Vec::new();
    for e in all_edges() {
        let Some(&to) = layers.get(e.to.as_str()) else {
            // An extern crate or std path (`crate::` is always ours, but `super::` past the top is not).
            if e.to.starts_with('<') {
                bad.push(format!("{}:{}: {} -> {}", e.file, e.line, e.from, e.to));
            }
            continue;
        };
        let from = layers[e.from.as_str()];
        if to > from && !allowed(&e) {
            push_once(
                &mut bad,
                format!(
                    "{}:{}: {} ({}) uses {} ({}), a higher layer",
                    e.file, e.line, e.from, LAYERS[from].0, e.to, LAYERS[to].0
                ),
            );
        }
    }
    assert!(
        bad.is_empty(),
        "{} use(s) point up a layer:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn no_circle_between_top_level_modules() {
    let layers = layer_of();
    // Across layers every edge points down (the test above), so a circle can only close inside one
    // layer, or through an allowed upward edge: only same-layer edges are read here.
    let edges: Vec<Edge> = all_edges()
        .into_iter()
        .filter(|e| layers.get(e.to.as_str()) == layers.get(e.from.as_str()) && !allowed(e))
        .collect();
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in &edges {
        graph.entry(&e.from).or_default().insert(&e.to);
    }
    // A module is on a circle when it can reach itself; report each such edge a -> b with b
    // reaching a, at every line it is used.
    let reaches = |start: &str, goal: &str| -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start];
        while let Some(m) = stack.pop() {
            if m == goal {
                return true;
            }
            if seen.insert(m) {
                stack.extend(graph.get(m).into_iter().flatten().copied());
            }
        }
        false
    };
    let mut bad = Vec::new();
    for e in &edges {
        if reaches(&e.to, &e.from) {
            push_once(
                &mut bad,
                format!(
                    "{}:{}: {} -> {} closes a circle",
                    e.file, e.line, e.from, e.to
                ),
            );
        }
    }
    assert!(
        bad.is_empty(),
        "{} use(s) close a circle:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn every_allowed_edge_is_still_used() {
    // An allow-list entry nobody needs any more is removed, so the list only ever shrinks.
    let edges = all_edges();
    let stale: Vec<_> = ALLOWED
        .iter()
        .filter(|(from, to, _)| !edges.iter().any(|e| e.from == *from && e.to == *to))
        .collect();
    assert!(stale.is_empty(), "allowed edges no file uses: {stale:?}");
}

#[test]
fn the_reader_sees_every_kind_of_path() {
    let text = "use crate::{a, b::c, d::{e, f}};\n\
                // crate::commented\n\
                let s = \"crate::in_a_string\";\n\
                fn x() { crate::g::h(); }\n\
                use super::super::i;\n\
                mod tests { use super::super::super::j; }\n";
    let module = ["top".to_string(), "file".to_string()];
    let got: Vec<(String, usize)> = edges_of("f.rs", &module, text)
        .into_iter()
        .map(|e| (e.to, e.line))
        .collect();
    let want: Vec<(String, usize)> = [("a", 1), ("b", 1), ("d", 1), ("g", 4), ("i", 5), ("j", 6)]
        .iter()
        .map(|(m, l)| (m.to_string(), *l))
        .collect();
    assert_eq!(got, want);
}
