//! `bridge_native`: the per-entry hot path of GCP Log Bridge, compiled.
//!
//! It reproduces, byte for byte in meaning, what the Python pipeline (bridge/decode.py,
//! normalize.py, redact.py, sinks/elasticsearch/document.py) does for an ordinary entry,
//! and declines (returns None) for anything else, so that the Python path, which stays the
//! reference, handles it. tests/unit/test_native_*.py compare the two.

use pyo3::prelude::*;

// Parsing a LogEntry allocates every key, string and map; mimalloc does that in a fraction of
// glibc's time. Nothing allocated here is freed by Python or the other way round.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod redact;
pub mod transform;

#[pymodule]
fn bridge_native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    transform::register(module)?;
    redact::register(module)?;
    Ok(())
}
