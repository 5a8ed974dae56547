//! The redaction rules of bridge/redact.py over a parsed LogEntry.

use std::sync::Arc;

use pyo3::prelude::*;

/// Why the compiled rules cannot give the Python redactor's answer for one entry.
#[derive(Debug)]
pub struct Decline(pub &'static str);

/// Rule set compiled for native use (placeholder until the engine lands).
pub struct RedactionRules;

impl RedactionRules {
    /// Ok(None): no rule fired, the entry is untouched. Ok(Some(fired)): rewritten in place,
    /// with counts per rule name. Err(Decline): the caller must use the Python redactor.
    pub fn apply(
        &self,
        _entry: &mut serde_json::Value,
        _destination: Option<&str>,
    ) -> Result<Option<Vec<(String, u64)>>, Decline> {
        Err(Decline("native redaction not available"))
    }
}

/// The Python handle on a compiled rule set; the transform engine holds `rules`.
#[pyclass(frozen, module = "bridge_native")]
pub struct Redaction {
    pub rules: Arc<RedactionRules>,
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Redaction>()?;
    Ok(())
}
