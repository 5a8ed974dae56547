//! `entry_id` (bridge/normalize.py): blake2b-128 of (logName, insertId, timestamp), or of the
//! whole entry as orjson's sorted-key JSON when there is no insertId.

use serde_json::Value;

use super::json::{write_sorted, write_str};
use super::parse::Received;
use super::record::{timestamp_ns, Fields};
use super::Declined;

/// Computed from the entry as received, before redaction rewrites it.
pub fn entry_id(fields: &Fields<'_>, whole: &Value, received: &Received<'_>, log_name: &str) -> Result<String, Declined> {
    // blake2b_simd: the same BLAKE2b as hashlib's, with the CPU's vector instructions.
    let mut hasher = blake2b_simd::Params::new().hash_length(16).to_state();
    match fields.insert_id {
        Some(Value::String(insert_id)) if !insert_id.is_empty() => {
            hasher.update(log_name.as_bytes());
            hasher.update(b"\x1f");
            hasher.update(insert_id.as_bytes());
            hasher.update(b"\x1f");
            match fields.timestamp {
                None | Some(Value::Null) => {}
                Some(value) => match timestamp_ns(value) {
                    Some(ns) => {
                        hasher.update(itoa::Buffer::new().format(ns).as_bytes());
                    }
                    // Python keys on str(timestamp); normalize then rejects any such entry but "".
                    None if value.as_str() == Some("") => {}
                    None => return Err(Declined("unreadable timestamp")),
                },
            }
        }
        _ => {
            let mut canonical = Vec::with_capacity(received.text.len() + 64);
            write_entry_sorted(&mut canonical, whole, received)?;
            hasher.update(&canonical);
        }
    }
    Ok(hasher.finalize().to_hex().as_str().to_owned())
}

/// `write_sorted` of the whole entry, copying each member value whose received text already is
/// what it would print.
fn write_entry_sorted(out: &mut Vec<u8>, whole: &Value, received: &Received<'_>) -> Result<(), Declined> {
    let Value::Object(entry) = whole else {
        return write_sorted(out, whole);
    };
    let mut members: Vec<(usize, (&String, &Value))> = entry.iter().enumerate().collect();
    members.sort_unstable_by(|a, b| a.1 .0.as_bytes().cmp(b.1 .0.as_bytes()));
    out.push(b'{');
    for (position, (index, (key, value))) in members.into_iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        write_str(out, key);
        out.push(b':');
        match received.sorted(index) {
            Some(text) => out.extend_from_slice(text),
            None => write_sorted(out, value)?,
        }
    }
    out.push(b'}');
    Ok(())
}
