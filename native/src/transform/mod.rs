//! LogEntry bytes -> (stable id, time, redaction, Elasticsearch document bytes).

use pyo3::prelude::*;

pub fn register(_module: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
