//! How numbers read on every page, chart and console line: one place, so a
//! figure prints the same wherever it appears. Counts are whole, shares are
//! percentages, money has its currency and thousands separators.

/// A number for a table: no trailing zeros, fewer decimals as it grows.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "\u{2013}".into();
    }
    let s = if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// A share (0-1) for a table, as a percentage.
pub fn pct(x: f64) -> String {
    if x.is_finite() {
        pct_text(100.0 * x)
    } else {
        "\u{2013}".into()
    }
}

/// "1.5%" / "<0.1%".
pub fn pct_text(p: f64) -> String {
    if p > 0.0 && p < 0.1 {
        "<0.1%".into()
    } else if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// "54" for whole numbers, "50.5" otherwise.
pub fn trim_number(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// 123456 -> "123,456".
pub fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A whole count: "1,234". Medians and percentiles of counts over trials
/// can fall between two whole numbers; a count reads whole.
pub fn count(x: f64) -> String {
    if !x.is_finite() {
        return "\u{2013}".into();
    }
    let r = x.round();
    let digits = group_thousands(r.abs() as u64);
    if r < 0.0 {
        format!("-{digits}")
    } else {
        digits
    }
}

/// An amount of money, whole, with thousands separators and the currency
/// of `[report] currency`: "$12,617", "-€1,234", "CHF 4,000"; without a
/// currency just "12,617".
pub fn money(x: f64, currency: Option<&str>) -> String {
    if !x.is_finite() {
        return "\u{2013}".into();
    }
    let amount = count(x.abs());
    let sign = if x.round() < 0.0 { "-" } else { "" };
    let symbol = match currency {
        Some("USD") => Some("$"),
        Some("EUR") => Some("\u{20ac}"),
        Some("GBP") => Some("\u{a3}"),
        _ => None,
    };
    match (symbol, currency) {
        (Some(sym), _) => format!("{sign}{sym}{amount}"),
        (None, Some(code)) => format!("{sign}{code} {amount}"),
        (None, None) => format!("{sign}{amount}"),
    }
}

/// How a figure in a table reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    /// A level or a duration: [`num`].
    Num,
    /// A share (0-1) as a percentage: [`pct`].
    Pct,
    /// Something counted: [`count`].
    Count,
}

impl Fmt {
    pub fn fmt(self, x: f64) -> String {
        match self {
            Fmt::Num => num(x),
            Fmt::Pct => pct(x),
            Fmt::Count => count(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_whole_with_separators() {
        assert_eq!(count(2.05), "2");
        assert_eq!(count(27.5), "28");
        assert_eq!(count(1234.4), "1,234");
        assert_eq!(count(-1234.6), "-1,235");
        assert_eq!(count(0.2), "0");
        assert_eq!(count(f64::NAN), "\u{2013}");
    }

    #[test]
    fn money_has_its_currency_and_separators() {
        assert_eq!(money(12617.4, Some("USD")), "$12,617");
        assert_eq!(money(-1234.0, Some("EUR")), "-\u{20ac}1,234");
        assert_eq!(money(4000.0, Some("CHF")), "CHF 4,000");
        assert_eq!(money(5393.0, None), "5,393");
        assert_eq!(money(-0.3, Some("USD")), "$0");
        assert_eq!(money(999.5, Some("GBP")), "\u{a3}1,000");
    }

    #[test]
    fn table_numbers_and_shares() {
        assert_eq!(num(16.5), "16.5");
        assert_eq!(num(10.26), "10.3");
        assert_eq!(num(3.0), "3");
        assert_eq!(pct(0.823), "82%");
        assert_eq!(pct(0.051), "5.1%");
        assert_eq!(group_thousands(1_000_000), "1,000,000");
    }
}
