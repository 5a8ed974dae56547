//! `entry_id` (bridge/normalize.py): blake2b-128 of (logName, insertId, timestamp), or of the
//! whole entry as orjson's sorted-key JSON when there is no insertId.

use serde_json::Value;

use super::json::write_sorted;
use super::record::{timestamp_ns, Fields};
use super::Declined;

/// Computed from the entry as received, before redaction rewrites it.
pub fn entry_id(fields: &Fields<'_>, whole: &Value, log_name: &str) -> Result<String, Declined> {
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
            let mut canonical = Vec::with_capacity(1024);
            write_sorted(&mut canonical, whole)?;
            hasher.update(&canonical);
        }
    }
    Ok(hasher.finalize().to_hex().to_string())
}
