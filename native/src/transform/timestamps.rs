//! RFC 3339 and {seconds, nanos} timestamps <-> i64 nanoseconds, as bridge/timestamps.py reads
//! and writes them (the fast path there is the general parser restricted to 'Z', so one parser).

const NS_PER_SECOND: i128 = 1_000_000_000;
const DAYS_IN_MONTH: [i64; 13] = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const FRACTION_SCALE: [i128; 10] = [
    1_000_000_000, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1,
];

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719468;
    let era = days.div_euclid(146097);
    let doe = days - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Two or four ASCII digits (the only widths RFC 3339 fields have here).
fn digits(text: &[u8]) -> Option<i64> {
    text.iter().try_fold(0i64, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0')))
}

/// `_parse_general`: None where Python raises NormalizeError. Every accepted character is
/// ASCII, so byte positions are the code-point positions Python indexes.
pub fn parse_rfc3339_ns(value: &str) -> Option<i128> {
    let s = value.as_bytes();
    if !(20..=40).contains(&s.len()) || !s.is_ascii() {
        return None;
    }
    if s[4] != b'-' || s[7] != b'-' || !matches!(s[10], b'T' | b't' | b' ') || s[13] != b':' || s[16] != b':' {
        return None;
    }
    let year = digits(&s[0..4])?;
    let month = digits(&s[5..7])?;
    let day = digits(&s[8..10])?;
    let hour = digits(&s[11..13])?;
    let minute = digits(&s[14..16])?;
    let second = digits(&s[17..19])?;
    if !((1..=12).contains(&month) && 1 <= day && day <= DAYS_IN_MONTH[month as usize] && hour < 24 && minute < 60 && second < 61) {
        return None;
    }
    if month == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) {
        return None;
    }
    let mut rest = &s[19..];
    let mut fraction_ns: i128 = 0;
    if rest.first() == Some(&b'.') {
        let count = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=9).contains(&count) {
            return None;
        }
        fraction_ns = i128::from(digits(&rest[1..=count])?) * FRACTION_SCALE[count];
        rest = &rest[1 + count..];
    }
    let offset_s = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let offset = digits(&[*h1, *h2])? * 3600 + digits(&[*m1, *m2])? * 60;
            if *sign == b'+' {
                -offset
            } else {
                offset
            }
        }
        _ => return None,
    };
    let seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second + offset_s;
    Some(i128::from(seconds) * NS_PER_SECOND + fraction_ns)
}

/// `check_range`: nanosecond stores hold 1970-01-01 .. 2262-04-11.
pub fn in_range(ns: i128) -> Option<i64> {
    (0..=i128::from(i64::MAX)).contains(&ns).then_some(ns as i64)
}

/// "00" .. "99": two digits per table look-up instead of a division per digit.
static DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut pairs = [[0u8; 2]; 100];
    let mut n = 0;
    while n < 100 {
        pairs[n] = [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        n += 1;
    }
    pairs
};

/// 'YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ' (`format_ns`), for 0 <= ns.
pub fn write_ns(out: &mut Vec<u8>, ns: i64) {
    let seconds = ns / 1_000_000_000;
    let nanos = ns % 1_000_000_000;
    let (year, month, day) = civil_from_days(seconds / 86400);
    let rem = seconds % 86400;
    let mut text = *b"0000-00-00T00:00:00.000000000Z";
    // Every field is below 100 here: years of in-range times have four digits.
    let mut put = |at: usize, number: i64| text[at..at + 2].copy_from_slice(&DIGIT_PAIRS[number as usize]);
    put(0, year / 100);
    put(2, year % 100);
    put(5, month);
    put(8, day);
    put(11, rem / 3600);
    put(14, rem % 3600 / 60);
    put(17, rem % 60);
    put(20, nanos / 10_000_000);
    put(22, nanos / 100_000 % 100);
    put(24, nanos / 1_000 % 100);
    put(26, nanos / 10 % 100);
    text[28] = b'0' + (nanos % 10) as u8;
    out.extend_from_slice(&text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_offsets_fractions_and_writes_nine_digits() {
        let ns = parse_rfc3339_ns("2024-03-11T00:00:00.000001+09:00").unwrap();
        let mut out = Vec::new();
        write_ns(&mut out, in_range(ns).unwrap());
        assert_eq!(out, b"2024-03-10T15:00:00.000001000Z");
        for (ns, text) in [
            (0, &b"1970-01-01T00:00:00.000000000Z"[..]),
            (i64::MAX, b"2262-04-11T23:47:16.854775807Z"),
            (1_709_251_199_123_456_789, b"2024-02-29T23:59:59.123456789Z"),
        ] {
            out.clear();
            write_ns(&mut out, ns);
            assert_eq!(out, text);
        }
        assert_eq!(parse_rfc3339_ns("2024-02-30T00:00:00Z"), None);
        assert_eq!(parse_rfc3339_ns("2024-01-01T00:00:00.1234567891Z"), None);
        assert_eq!(in_range(parse_rfc3339_ns("1969-12-31T23:59:59Z").unwrap()), None);
    }
}
