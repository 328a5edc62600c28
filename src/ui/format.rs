//! Numbers for humans: bytes, counts, rates, durations, ratios. "—" stands for a missing value.

use ratatui::text::Span;

use crate::figure::Format;

/// Shown wherever a figure is not known (yet).
pub const MISSING: &str = "—";

/// Display width in terminal cells.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// Binary units, as `ps` and `/proc` count them: "512 B", "1.2 KiB", "34.5 MiB".
pub fn bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if !b.is_finite() || b < 0.0 {
        return MISSING.into();
    }
    if b < 1024.0 {
        return format!("{b:.0} B");
    }
    let mut v = b / 1024.0;
    let mut unit = 0;
    // Round first so 1023.96 KiB prints as "1.0 MiB", never "1024.0 KiB".
    while (v * 10.0).round() >= 1024.0 * 10.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// Thousands separated: "12,345".
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Three significant digits with a k/M/G suffix: "850", "1.2k", "12.3k", "123k", "4.5M".
pub fn compact(x: f64) -> String {
    if !x.is_finite() || x < 0.0 {
        return MISSING.into();
    }
    let mut v = x;
    let mut suffix = "";
    for s in ["k", "M", "G", "T"] {
        if v.round() < 1000.0 {
            break;
        }
        v /= 1000.0;
        suffix = s;
    }
    if suffix.is_empty() {
        return if x < 10.0 && x.fract() != 0.0 {
            format!("{x:.1}")
        } else {
            format!("{x:.0}")
        };
    }
    if v < 99.95 {
        format!("{v:.1}{suffix}")
    } else {
        format!("{v:.0}{suffix}")
    }
}

/// Per-second rate: "1.2k/s".
pub fn rate(per_s: f64) -> String {
    format!("{}/s", compact(per_s))
}

/// A catalog figure's value in its format: "466 B", "148 ns", "1.02 cores", "69k/s", "98.0%".
pub fn figure(f: Format, v: f64) -> String {
    if !v.is_finite() || v < 0.0 {
        return MISSING.into();
    }
    match f {
        Format::Bytes => bytes(v),
        Format::Nanos => nanos(v),
        Format::Micros => nanos(v * 1e3),
        Format::Cores => format!("{v:.2} cores"),
        Format::Count => count(v.round() as u64),
        Format::PerSec => rate(v),
        Format::Ratio => fraction(v),
        Format::Percent => percent(v),
    }
}

/// Microseconds to the nearest readable unit: "850 µs", "12.3 ms", "1.25 s".
pub fn micros(us: f64) -> String {
    if !us.is_finite() || us < 0.0 {
        MISSING.into()
    } else if us < 999.5 {
        format!("{us:.0} µs")
    } else if us < 999_950.0 {
        format!("{:.1} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// Nanoseconds: "350 ns", "4.1 µs" (a tenth of a µs still tells switch costs apart), else as `micros`.
pub fn nanos(ns: f64) -> String {
    if ns.is_finite() && (0.0..999.5).contains(&ns) {
        format!("{ns:.0} ns")
    } else if ns.is_finite() && (999.5..9_950.0).contains(&ns) {
        format!("{:.1} µs", ns / 1e3)
    } else {
        micros(ns / 1e3)
    }
}

/// A ratio with enough digits to tell 0.02 from 2 and 0.002 from 0: "2.03", "0.022", "<0.001", "12.5", "1.2k".
pub fn fraction(x: f64) -> String {
    if !x.is_finite() || x < 0.0 {
        MISSING.into()
    } else if x == 0.0 {
        "0".into()
    } else if x < 0.0005 {
        "<0.001".into()
    } else if x < 0.0995 {
        format!("{x:.3}")
    } else if x < 9.995 {
        format!("{x:.2}")
    } else if x < 99.95 {
        format!("{x:.1}")
    } else {
        compact(x)
    }
}

/// Percent of one core: "12.3%".
pub fn percent(p: f64) -> String {
    if p.is_finite() {
        format!("{p:.1}%")
    } else {
        MISSING.into()
    }
}

/// `s` cut to `avail` cells, with "…" where it was cut.
pub fn truncate(s: &str, avail: usize) -> String {
    if width(s) <= avail {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let w = width(c.encode_utf8(&mut buf));
        if used + w + 1 > avail {
            break;
        }
        used += w;
        out.push(c);
    }
    if avail > 0 {
        out.push('…');
    }
    out
}

/// How many leading items fit in `avail` cells, given each item's width.
pub fn prefix_fitting(widths: impl IntoIterator<Item = usize>, avail: usize) -> usize {
    let mut used = 0;
    widths
        .into_iter()
        .take_while(|w| {
            used += w;
            used <= avail
        })
        .count()
}

/// How many leading segments fit in `avail` cells when joined by `sep`; at least one, so a row is never
/// blank (a cut first segment is better than none). Whole segments only: a cut number would lie.
pub fn segments_fitting<S: AsRef<str>>(segments: &[S], sep: &str, avail: usize) -> usize {
    let widths = segments
        .iter()
        .enumerate()
        .map(|(i, s)| width(s.as_ref()) + if i > 0 { width(sep) } else { 0 });
    prefix_fitting(widths, avail).max(1).min(segments.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes() {
        assert_eq!(bytes(0.0), "0 B");
        assert_eq!(bytes(1023.0), "1023 B");
        assert_eq!(bytes(1229.0), "1.2 KiB");
        assert_eq!(bytes(34.5 * 1024.0 * 1024.0), "34.5 MiB");
        assert_eq!(bytes(1024.0 * 1024.0 - 1.0), "1.0 MiB");
        assert_eq!(bytes(3.0 * 1024f64.powi(3)), "3.0 GiB");
        assert_eq!(bytes(f64::NAN), MISSING);
    }

    #[test]
    fn counts_and_compact_numbers() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(12_345), "12,345");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(2.5), "2.5");
        assert_eq!(compact(850.0), "850");
        assert_eq!(compact(999.7), "1.0k");
        assert_eq!(compact(1234.0), "1.2k");
        assert_eq!(compact(12_345.0), "12.3k");
        assert_eq!(compact(123_456.0), "123k");
        assert_eq!(compact(4_500_000.0), "4.5M");
        assert_eq!(rate(1200.0), "1.2k/s");
    }

    #[test]
    fn durations() {
        assert_eq!(micros(850.0), "850 µs");
        assert_eq!(micros(12_345.0), "12.3 ms");
        assert_eq!(micros(999_999.0), "1.00 s");
        assert_eq!(micros(1_250_000.0), "1.25 s");
        assert_eq!(nanos(350.0), "350 ns");
        assert_eq!(nanos(18_000.0), "18 µs");
        assert_eq!(nanos(999.6), "1.0 µs");
        assert_eq!(nanos(4146.0), "4.1 µs");
        assert_eq!(nanos(9_960.0), "10 µs");
        assert_eq!(percent(12.34), "12.3%");
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("limit hit", 20), "limit hit");
        assert_eq!(truncate("limit hit", 9), "limit hit");
        assert_eq!(truncate("limit hit", 8), "limit h…");
        assert_eq!(truncate("µs", 1), "…");
        assert_eq!(truncate("abc", 0), "");
    }

    #[test]
    fn only_whole_segments_fit() {
        let segs = ["150.0 MiB", "15.0 KiB/unit"];
        assert_eq!(segments_fitting(&segs, " · ", 100), 2);
        assert_eq!(segments_fitting(&segs, " · ", 25), 2);
        assert_eq!(segments_fitting(&segs, " · ", 24), 1);
        assert_eq!(segments_fitting(&segs, " · ", 3), 1);
        assert_eq!(segments_fitting::<&str>(&[], " · ", 3), 0);
        assert_eq!(prefix_fitting([3, 3, 3], 7), 2);
        assert_eq!(prefix_fitting([8], 7), 0);
    }

    #[test]
    fn fractions() {
        assert_eq!(fraction(0.0), "0");
        assert_eq!(fraction(0.000_094), "<0.001");
        assert_eq!(fraction(0.006_98), "0.007");
        assert_eq!(fraction(0.0221), "0.022");
        assert_eq!(fraction(2.034), "2.03");
        assert_eq!(fraction(12.46), "12.5");
        assert_eq!(fraction(1234.0), "1.2k");
        assert_eq!(fraction(-1.0), MISSING);
    }
}
