//! The limit a side hit, readable on a projector: the limit's name and value first, on a line of
//! their own, then what it means, wrapped, instead of the whole diagnosis cut at the column's edge
//! (`thread spawn failed at 1…`). The full text stays in the headless JSON's errors.

use ratatui::style::Modifier;
use ratatui::text::Line;

use super::fit::wrap;
use super::theme;

/// Most rows the detail under the limit's name takes.
const DETAIL_ROWS: usize = 2;

/// ("vm.max_map_count=65530", "this process has 65530 memory maps and a thread needs 4 more") out of
/// the worker's diagnosis, where `name` (the limit's name) stands followed by `=value` or `: detail`.
pub fn split(limit_hit: &str, name: &str) -> Option<(String, String)> {
    let at = limit_hit.find(name)?;
    let rest = &limit_hit[at + name.len()..];
    let (head, detail) = if let Some(value) = rest.strip_prefix('=') {
        let end = value.find([':', ';', ' ']).unwrap_or(value.len());
        (
            format!("{name}={}", &value[..end]),
            value[end..].trim_start_matches([':', ' ']),
        )
    } else {
        (name.to_string(), rest.trim_start_matches([':', ' ']))
    };
    let detail = detail.split(';').next().unwrap_or("").trim();
    Some((head, detail.to_string()))
}

/// The lines for the column, each at most `width` wide: "limit hit: NAME=VALUE", then its detail.
pub fn lines(limit_hit: &str, name: Option<&str>, width: usize) -> Vec<Line<'static>> {
    let Some((head, detail)) = name.and_then(|n| split(limit_hit, n)) else {
        // No name to lead with: the diagnosis as it is, wrapped.
        return wrap(&format!("limit hit: {limit_hit}"), width, DETAIL_ROWS + 1)
            .into_iter()
            .map(|l| Line::styled(l, theme::warn()))
            .collect();
    };
    let mut out: Vec<Line<'static>> = wrap(&format!("limit hit: {head}"), width, 2)
        .into_iter()
        .map(|l| Line::styled(l, theme::warn().add_modifier(Modifier::BOLD)))
        .collect();
    out.extend(
        wrap(&detail, width, DETAIL_ROWS)
            .into_iter()
            .map(|l| Line::styled(l, theme::warn())),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HIT: &str = "thread spawn failed at 16348 threads: Resource temporarily unavailable (os error 11) (errno 11, EAGAIN); vm.max_map_count=65530: this process has 65530 memory maps and a thread needs 4 more; limits: kernel.threads-max=192730, kernel.pid_max=32768, vm.max_map_count=65530";

    #[test]
    fn the_spawn_guards_stop_splits_into_the_limit_and_what_it_means() {
        // The words of limits::guard's stop (its tests check them from its side of the crate line).
        let why = "stopped at 16332 threads: vm.max_map_count=65530: this process has 65466 memory maps and keeps 68 free; limits: kernel.threads-max=192730";
        let (head, detail) = split(why, crate::limits::MAX_MAP_COUNT).expect("split");
        assert!(head.starts_with("vm.max_map_count="), "{head}");
        assert!(detail.starts_with("this process has "), "{detail}");
    }

    #[test]
    fn the_name_and_value_come_first_then_what_it_means() {
        let (head, detail) = split(HIT, "vm.max_map_count").expect("named");
        assert_eq!(head, "vm.max_map_count=65530");
        assert_eq!(
            detail,
            "this process has 65530 memory maps and a thread needs 4 more"
        );
        let (head, detail) = split(
            "reached 10 of 100 connections: ulimit -n (RLIMIT_NOFILE): soft 64, hard 64",
            "ulimit -n (RLIMIT_NOFILE)",
        )
        .expect("named");
        assert_eq!(
            (head.as_str(), detail.as_str()),
            ("ulimit -n (RLIMIT_NOFILE)", "soft 64, hard 64")
        );
        assert_eq!(split(HIT, "pids.max"), None);
    }

    #[test]
    fn every_line_fits_and_the_name_is_never_cut_at_a_column_of_36() {
        let lines = lines(HIT, Some("vm.max_map_count"), 36);
        let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
        assert_eq!(text[0], "limit hit: vm.max_map_count=65530");
        assert!(
            text.iter().all(|l| crate::ui::format::width(l) <= 36),
            "{text:?}"
        );
        assert!(text.len() <= 4, "{text:?}");
        let unnamed = super::lines(HIT, None, 36);
        assert!(unnamed.len() <= DETAIL_ROWS + 1);
    }
}
