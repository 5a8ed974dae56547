//! JSON text exactly as orjson writes it: compact, raw UTF-8, the same escapes and float digits.

use serde_json::{Map, Value};

use super::Declined;

/// 0: copy the byte; b'u': \u00XX; otherwise the character after the backslash.
static ESCAPE: [u8; 256] = {
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
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether any of 8 bytes is below 0x20, '"' or '\\' (exact as a yes/no; SWAR "has less than").
#[inline]
fn any_to_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    (below_space | (quote.wrapping_sub(ONES) & !quote) | (backslash.wrapping_sub(ONES) & !backslash)) & HIGH != 0
}

/// Whether the text has anything to escape: 8 bytes at a time, the tail padded with spaces.
fn needs_escape(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    if chunks.by_ref().any(|chunk| any_to_escape(u64::from_le_bytes(chunk.try_into().expect("8 bytes")))) {
        return true;
    }
    let mut tail = [b' '; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    any_to_escape(u64::from_le_bytes(tail))
}

/// Length of the leading run with nothing to escape (the whole slice when there is none).
pub fn find_to_escape(bytes: &[u8]) -> usize {
    let mut at = 0;
    while at + 8 <= bytes.len() && !any_to_escape(u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))) {
        at += 8;
    }
    at + bytes[at..].iter().position(|b| ESCAPE[*b as usize] != 0).unwrap_or(bytes.len() - at)
}

pub fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if needs_escape(bytes) {
        write_escaped(out, bytes);
    } else {
        out.extend_from_slice(bytes);
    }
    out.push(b'"');
}

fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPE[byte as usize];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..at]);
        if escape == b'u' {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(byte >> 4) as usize], HEX[(byte & 0xf) as usize]]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
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
        Value::Object(map) if sorted => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            write_members(out, members.into_iter(), true)?;
        }
        Value::Object(map) => write_members(out, map.iter(), false)?,
    }
    Ok(())
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
