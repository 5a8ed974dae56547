//! JSON text exactly as orjson writes it: compact, raw UTF-8, the same escapes and float digits.

use serde_json::{Map, Value};

use super::Declined;

/// 0: copy the byte; b'u': \u00XX; otherwise the character after the backslash.
pub static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};
pub const HEX: &[u8; 16] = b"0123456789abcdef";

/// The bytes of a little-endian word that are below 0x20, '"' or '\\', as their high bits.
/// (SWAR "has less than" / "has zero": the lowest flagged byte is always a true one.)
#[inline]
fn escape_mask(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    (below_space | (quote.wrapping_sub(ONES) & !quote) | (backslash.wrapping_sub(ONES) & !backslash)) & HIGH
}

const SPACES: u64 = 0x2020_2020_2020_2020;

fn word_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// Up to 7 bytes as a word padded with spaces (nothing to escape), read in overlapping halves.
fn short_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let half = |at: usize, width: usize| bytes[at..at + width].iter().rev().fold(0u64, |word, b| word << 8 | u64::from(*b));
    let raw = match n {
        0 => return SPACES,
        1 => u64::from(bytes[0]),
        2..=3 => half(0, 2) | half(n - 2, 2) << (8 * (n - 2)),
        _ => half(0, 4) | half(n - 4, 4) << (8 * (n - 4)),
    };
    raw | SPACES << (8 * n)
}

/// Length of the leading run with nothing to escape (the whole slice when there is none).
pub fn find_to_escape(bytes: &[u8]) -> usize {
    let len = bytes.len();
    if len < 8 {
        let mask = escape_mask(short_word(bytes));
        return if mask == 0 { len } else { (mask.trailing_zeros() / 8) as usize };
    }
    let mut at = 0;
    while at + 8 <= len {
        let mask = escape_mask(word_at(bytes, at));
        if mask != 0 {
            return at + (mask.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    if at == len {
        return len;
    }
    // The last 8 bytes, overlapping clean ones: a flag there can only be a true one.
    let mask = escape_mask(word_at(bytes, len - 8));
    if mask == 0 {
        len
    } else {
        len - 8 + (mask.trailing_zeros() / 8) as usize
    }
}

pub fn write_str(out: &mut Vec<u8>, text: &str) {
    let mut bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    loop {
        let run = find_to_escape(bytes);
        out.extend_from_slice(&bytes[..run]);
        let Some(&byte) = bytes.get(run) else {
            break;
        };
        let escape = ESCAPE[byte as usize];
        if escape == b'u' {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(byte >> 4) as usize], HEX[(byte & 0xf) as usize]]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
        bytes = &bytes[run + 1..];
    }
    out.push(b'"');
}

pub fn write_u64(out: &mut Vec<u8>, number: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(number).as_bytes());
}

fn write_number(out: &mut Vec<u8>, number: &serde_json::Number) -> Result<(), Declined> {
    if let Some(unsigned) = number.as_u64() {
        write_u64(out, unsigned);
    } else if let Some(signed) = number.as_i64() {
        out.extend_from_slice(itoa::Buffer::new().format(signed).as_bytes());
    } else {
        let float = number.as_f64().ok_or(Declined("number"))?;
        // JSON "-0" is the integer 0 to orjson but -0.0 to serde_json: ambiguous, let Python decide.
        if float == 0.0 && float.is_sign_negative() {
            return Err(Declined("negative zero"));
        }
        out.extend_from_slice(zmij::Buffer::new().format_finite(float).as_bytes());
    }
    Ok(())
}

pub fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<(), Declined> {
    write_any(out, value, false)
}

pub fn write_map(out: &mut Vec<u8>, map: &Map<String, Value>) -> Result<(), Declined> {
    write_members(out, map.iter(), false)
}

/// `orjson.dumps(value, option=OPT_SORT_KEYS)`: keys sorted by code point at every level.
pub fn write_sorted(out: &mut Vec<u8>, value: &Value) -> Result<(), Declined> {
    write_any(out, value, true)
}

fn write_any(out: &mut Vec<u8>, value: &Value, sorted: bool) -> Result<(), Declined> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => write_number(out, number)?,
        Value::String(text) => write_str(out, text),
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_any(out, item, sorted)?;
            }
            out.push(b']');
        }
        Value::Object(map) if sorted && in_order(map) => write_members(out, map.iter(), true)?,
        Value::Object(map) if sorted => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            write_members(out, members.into_iter(), true)?;
        }
        Value::Object(map) => write_members(out, map.iter(), false)?,
    }
    Ok(())
}

/// Whether the keys already are in write_sorted's order (then nothing needs sorting).
fn in_order(map: &Map<String, Value>) -> bool {
    let mut keys = map.keys();
    let Some(mut previous) = keys.next() else { return true };
    keys.all(|key| std::mem::replace(&mut previous, key).as_bytes() < key.as_bytes())
}

fn write_members<'a>(
    out: &mut Vec<u8>,
    members: impl Iterator<Item = (&'a String, &'a Value)>,
    sorted: bool,
) -> Result<(), Declined> {
    out.push(b'{');
    for (index, (key, item)) in members.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_str(out, key);
        out.push(b':');
        write_any(out, item, sorted)?;
    }
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_to_escape_stops_at_the_first_byte_to_escape_whatever_the_length() {
        for len in 0..40 {
            let clean = vec![b'a'; len];
            assert_eq!(find_to_escape(&clean), len);
            for at in 0..len {
                for special in [b'"', b'\\', 0x00, 0x1f, 0x0a] {
                    let mut text = clean.clone();
                    text[at] = special;
                    if at + 1 < len {
                        text[at + 1] = 0x00; // a second one right after must not move the answer
                    }
                    assert_eq!(find_to_escape(&text), at, "len {len} at {at} byte {special}");
                }
            }
        }
        assert_eq!(find_to_escape("é€😀\x7f !#[]".as_bytes()), "é€😀\x7f !#[]".len());
    }

    #[test]
    fn strings_are_escaped_as_orjson_does() {
        let mut out = Vec::new();
        write_str(&mut out, "a\"b\\c\nd\u{1}e\u{1f}\u{7f}é\u{8}\u{c}\r\t");
        assert_eq!(out, b"\"a\\\"b\\\\c\\nd\\u0001e\\u001f\x7f\xc3\xa9\\b\\f\\r\\t\"".to_vec());
    }
}
