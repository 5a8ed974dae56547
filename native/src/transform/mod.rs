//! LogEntry bytes -> (stable id, time, redaction, Elasticsearch document bytes).
//!
//! One parse, then the steps of bridge/pipeline.py `Transform.prepare` and
//! sinks/elasticsearch/document.py; any input whose result might differ from the Python
//! path's, or on which that path raises, is declined (None) and left to Python.

mod document;
mod json;
mod parse;
mod record;
mod severity;
mod stable_id;
mod timestamps;

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
use serde_json::Value;

use self::record::Fields;
use crate::redact::{Redaction, RedactionRules};

/// Why an entry is left to the Python path (kept for debugging; never shown to callers).
#[derive(Debug)]
pub struct Declined(#[allow(dead_code)] pub &'static str);

struct Prepared {
    entry_id: String,
    timestamp_ns: i64,
    document: Vec<u8>,
    redacted_entry: Option<Vec<u8>>,
    fired: Option<Vec<(String, u64)>>,
}

/// The Elasticsearch hot path for one destination and rule set.
#[pyclass(frozen, module = "bridge_native")]
pub struct ElasticsearchEngine {
    rules: Option<Arc<RedactionRules>>,
    destination: String,
    max_entry_bytes: usize,
}

impl ElasticsearchEngine {
    fn run(&self, data: &[u8], publish_time_ns: Option<i64>) -> Result<Prepared, Declined> {
        if data.len() > self.max_entry_bytes {
            return Err(Declined("too large"));
        }
        let text = std::str::from_utf8(data).map_err(|_| Declined("not UTF-8"))?;
        let (mut value, received_text) = parse::parse(text)?;
        let received = Fields::of(value.as_object().ok_or(Declined("not an object"))?);
        let received_log_name = received.log_name.and_then(Value::as_str).filter(|name| !name.is_empty());
        let entry_id = stable_id::entry_id(&received, &value, &received_text, received_log_name.ok_or(Declined("not a LogEntry"))?)?;
        let fired = match &self.rules {
            None => None,
            Some(rules) => rules.apply(&mut value, Some(&self.destination)).map_err(|_| Declined("redaction declined"))?,
        };
        let redacted_entry = match fired {
            Some(_) => {
                let mut redacted = Vec::with_capacity(data.len());
                json::write_value(&mut redacted, &value)?;
                Some(redacted)
            }
            None => None,
        };
        let entry = value.as_object().ok_or(Declined("redacted entry is not an object"))?;
        let fields = Fields::of(entry);
        let record = record::normalize(&fields, publish_time_ns)?;
        let mut verbatim = document::Verbatim::default();
        // Unredacted, a member's received text is what rewriting its value would print.
        if fired.is_none() {
            for (index, (key, member)) in entry.iter().enumerate() {
                let slot = match key.as_str() {
                    "resource" if document::written_as_received(member) => &mut verbatim.resource,
                    "labels" => &mut verbatim.labels,
                    "jsonPayload" => &mut verbatim.json_payload,
                    "protoPayload" => &mut verbatim.proto_payload,
                    "httpRequest" => &mut verbatim.http_request,
                    "operation" => &mut verbatim.operation,
                    "sourceLocation" => &mut verbatim.source_location,
                    _ => continue,
                };
                *slot = received_text.canonical(index);
            }
        }
        let mut document = Vec::with_capacity(data.len() + 512);
        document::write_document(&mut document, &record, &verbatim, &entry_id, fired.as_deref())?;
        Ok(Prepared { entry_id, timestamp_ns: record.timestamp_ns, document, redacted_entry, fired })
    }
}

#[pymethods]
impl ElasticsearchEngine {
    #[new]
    #[pyo3(signature = (redaction=None, destination="elasticsearch", max_entry_bytes=1024 * 1024))]
    fn new(redaction: Option<&Bound<'_, Redaction>>, destination: &str, max_entry_bytes: usize) -> Self {
        ElasticsearchEngine {
            rules: redaction.map(|handle| Arc::clone(&handle.get().rules)),
            destination: destination.to_owned(),
            max_entry_bytes,
        }
    }

    /// (entry_id, timestamp_ns, document, redacted_entry, fired), or None: run the Python path.
    #[pyo3(signature = (data, publish_time_ns=None))]
    fn prepare<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyBytes>,
        publish_time_ns: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let publish_time_ns = match publish_time_ns.map(|value| value.extract::<i64>()) {
            None => None,
            Some(Ok(ns)) if ns >= 0 => Some(ns),
            Some(_) => return Ok(None),
        };
        let Ok(prepared) = self.run(data.as_bytes(), publish_time_ns) else {
            return Ok(None);
        };
        let fired = match prepared.fired {
            Some(fired) => {
                let counts = PyDict::new(py);
                for (rule, count) in fired {
                    counts.set_item(rule, count)?;
                }
                Some(counts)
            }
            None => None,
        };
        let result = (
            prepared.entry_id,
            prepared.timestamp_ns,
            PyBytes::new(py, &prepared.document),
            prepared.redacted_entry.map(|redacted| PyBytes::new(py, &redacted)),
            fired,
        );
        Ok(Some(result.into_pyobject(py)?))
    }
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<ElasticsearchEngine>()?;
    Ok(())
}
