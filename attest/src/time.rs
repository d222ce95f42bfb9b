//! RFC 3339 timestamps in UTC, without a date library.

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// The earliest instant this crate writes or reads: 1970-01-01T00:00:00Z.
pub const MIN_UNIX: i64 = 0;
/// The latest: 9999-12-31T23:59:59Z.
pub const MAX_UNIX: i64 = 253_402_300_799;

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`; `None` outside
/// 1970-01-01T00:00:00Z ..= 9999-12-31T23:59:59Z.
pub fn format_utc(unix: i64) -> Option<String> {
    if !(MIN_UNIX..=MAX_UNIX).contains(&unix) {
        return None;
    }
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    ))
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |a, d| a * 10 + i64::from(d - b'0')))
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.F…]Z` (RFC 3339 `date-time` with the UTC
/// designator; uppercase `T` and `Z` only; 1 to 9 fraction digits, which
/// are truncated; no leap second; years 1970 to 9999) into Unix seconds.
pub fn parse_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    if b[13] != b':' || b[16] != b':' || b[b.len() - 1] != b'Z' {
        return None;
    }
    let frac = &b[19..b.len() - 1];
    if !frac.is_empty() && (frac[0] != b'.' || !(2..=10).contains(&frac.len())) {
        return None;
    }
    if !frac.is_empty() && digits(&frac[1..]).is_none() {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, se) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    if h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let t = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se;
    (MIN_UNIX..=MAX_UNIX).contains(&t).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(format_utc(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            format_utc(1_714_694_400).as_deref(),
            Some("2024-05-03T00:00:00Z")
        );
        assert_eq!(
            format_utc(951_782_400).as_deref(),
            Some("2000-02-29T00:00:00Z")
        );
        assert_eq!(
            format_utc(MAX_UNIX).as_deref(),
            Some("9999-12-31T23:59:59Z")
        );
        assert_eq!(format_utc(-1), None);
        assert_eq!(format_utc(MAX_UNIX + 1), None);
        assert_eq!(parse_utc("2024-05-03T00:00:00Z"), Some(1_714_694_400));
        assert_eq!(parse_utc("2024-05-03T00:00:00.999Z"), Some(1_714_694_400));
        assert_eq!(parse_utc("2000-02-29T12:34:56Z"), Some(951_827_696));
    }

    #[test]
    fn round_trip_across_range() {
        let mut t = 0i64;
        while t <= MAX_UNIX {
            let s = format_utc(t).unwrap();
            assert_eq!(parse_utc(&s), Some(t), "{s}");
            t += 86_400 * 97 + 3_601;
        }
    }

    #[test]
    fn rejects_everything_else() {
        for s in [
            "2024-05-03T00:00:00",
            "2024-05-03t00:00:00Z",
            "2024-05-03T00:00:00z",
            "2024-05-03 00:00:00Z",
            "2024-05-03T00:00:00+00:00",
            "2024-05-03T00:00:00.Z",
            "2024-05-03T00:00:00.1234567890Z",
            "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-00-01T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-05-03T24:00:00Z",
            "2024-05-03T00:60:00Z",
            "2024-05-03T00:00:60Z",
            "1969-12-31T23:59:59Z",
            "+024-05-03T00:00:00Z",
            "2024-05-03T00:00:0xZ",
            "",
        ] {
            assert_eq!(parse_utc(s), None, "{s}");
        }
        assert_eq!(parse_utc("2000-02-29T00:00:00Z"), Some(951_782_400));
    }
}
