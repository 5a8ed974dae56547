//! LogSeverity names, aliases and numbers (bridge/severity.py).

use serde_json::Value;

const NAME_BY_LEVEL: [&str; 9] = ["DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"];

/// Python's `str.strip()` set, restricted to ASCII (non-ASCII severities are declined).
fn is_python_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f)
}

/// Level (0..=8) of a lower-case name or alias: one match instead of Python's two dict lookups,
/// which agree for ASCII input (every exact-case key is an upper-case spelling of a lower-case one).
fn level_of_name(lower: &[u8]) -> Option<usize> {
    Some(match lower {
        b"default" => 0,
        b"debug" | b"trace" => 1,
        b"info" => 2,
        b"notice" => 3,
        b"warning" | b"warn" => 4,
        b"error" | b"err" => 5,
        b"critical" | b"fatal" | b"crit" => 6,
        b"alert" => 7,
        b"emergency" | b"emerg" => 8,
        _ => return None,
    })
}

fn of_number(number: i64) -> Option<(&'static str, u16)> {
    (0..=800).contains(&number).then(|| {
        let level = (number / 100) as usize;
        (NAME_BY_LEVEL[level], (level * 100) as u16)
    })
}

fn of_text(text: &str) -> Option<(&'static str, u16)> {
    let bytes = text.as_bytes();
    if !bytes.is_ascii() {
        return None; // Unicode strip/lower/isdigit: the Python path decides
    }
    let start = bytes.iter().position(|b| !is_python_space(*b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !is_python_space(*b)).map_or(start, |i| i + 1);
    let trimmed = &bytes[start..end];
    let mut lower = [0u8; 9];
    if trimmed.len() <= lower.len() {
        let lower = &mut lower[..trimmed.len()];
        for (to, from) in lower.iter_mut().zip(trimmed) {
            *to = from.to_ascii_lowercase();
        }
        if let Some(level) = level_of_name(lower) {
            return Some((NAME_BY_LEVEL[level], (level * 100) as u16));
        }
    }
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // A long digit string is out of 0..800 whatever it says.
    text.parse::<i64>().ok().and_then(of_number)
}

/// `severity_of`: (name, number), or None where Python raises.
pub fn severity_of(value: Option<&Value>) -> Option<(&'static str, u16)> {
    match value {
        None | Some(Value::Null) => Some(("DEFAULT", 0)),
        Some(Value::String(text)) => of_text(text),
        Some(Value::Number(number)) => number.as_i64().and_then(of_number),
        Some(_) => None,
    }
}
