//! Record -> Elasticsearch `_source` bytes with ECS names (bridge/sinks/elasticsearch/document.py),
//! written straight into one buffer in the key order the Python dict gets.

use serde_json::{Map, Value};

use super::json::{write_map, write_str, write_u64};
use super::record::{lookup, text, Record};
use super::timestamps::write_ns;
use super::Declined;

/// `dataset_of` for well-known log ids whose dataset is not their first word.
fn known_dataset(log_id: &str) -> Option<&'static str> {
    Some(match log_id {
        "compute.googleapis.com/vpc_flows" => "gcp.vpcflow",
        "compute.googleapis.com/firewall" => "gcp.firewall",
        "requests" => "gcp.loadbalancing",
        "dns.googleapis.com/dns_queries" => "gcp.dns",
        _ => return None,
    })
}

/// 'cloudaudit.googleapis.com/activity' -> 'gcp.cloudaudit': the first word, lower case, unsafe characters as '_'.
fn write_dataset(out: &mut Vec<u8>, log_id: &str) {
    if let Some(known) = known_dataset(log_id) {
        return write_str(out, known);
    }
    let word = log_id.split('.').next().unwrap_or("").split('/').next().unwrap_or("");
    let mut dataset = String::with_capacity(word.len() + 4);
    dataset.push_str("gcp.");
    if word.is_ascii() && !word.is_empty() {
        dataset.extend(word.bytes().map(|b| match b.to_ascii_lowercase() {
            lower @ (b'a'..=b'z' | b'0'..=b'9' | b'_') => char::from(lower),
            _ => '_',
        }));
        return write_str(out, &dataset);
    }
    // char::to_lowercase is Python's str.lower() for every character that matters here: only
    // 'İ' and 'K' (Kelvin) lower-case into ASCII, the rest of non-ASCII becomes '_' either way.
    for lower in word.chars().flat_map(char::to_lowercase) {
        dataset.push(if lower.is_ascii_lowercase() || lower.is_ascii_digit() || lower == '_' { lower } else { '_' });
    }
    if word.is_empty() {
        dataset.push_str("unknown");
    }
    write_str(out, &dataset);
}

fn location_of(labels: Option<&Map<String, Value>>) -> Option<&str> {
    ["location", "zone", "region"].into_iter().find_map(|key| text(labels, key).filter(|value| *value != "global"))
}

/// `is_zone`: 'us-central1-c' yes, 'us-central1' no. Unicode isalpha/isdigit are Python's call.
fn is_zone(location: &str) -> Result<bool, Declined> {
    let mut tail = location.chars().rev();
    let (Some(last), Some(dash), Some(third)) = (tail.next(), tail.next(), tail.next()) else {
        return Ok(false);
    };
    if dash != '-' {
        return Ok(false);
    }
    if !last.is_ascii() || !third.is_ascii() {
        return Err(Declined("non-ASCII location"));
    }
    Ok(last.is_ascii_alphabetic() && third.is_ascii_digit())
}

/// `_status_code`: an integer in 0..1000, or a string of ASCII digits that is one.
fn status_code(http_request: &Map<String, Value>) -> Option<u64> {
    let status = match lookup(http_request, "status")? {
        Value::Number(number) => number.as_u64()?,
        Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            let digits = text.trim_start_matches('0');
            if digits.len() > 3 {
                return None;
            }
            digits.parse().unwrap_or(0)
        }
        _ => return None,
    };
    (status < 1000).then_some(status)
}

fn key(out: &mut Vec<u8>, name: &[u8]) {
    out.extend_from_slice(name);
}

/// `{"name":"value"}` objects ECS uses for one-field groups.
fn single(out: &mut Vec<u8>, field: &[u8], value: &str) {
    out.push(b'{');
    out.extend_from_slice(field);
    write_str(out, value);
    out.push(b'}');
}

/// The received text of the record's objects, where it is exactly what writing them would print.
#[derive(Default)]
pub struct Verbatim<'a> {
    /// Only where `written_as_received` holds for the resource.
    pub resource: Option<&'a [u8]>,
    pub labels: Option<&'a [u8]>,
    pub json_payload: Option<&'a [u8]>,
    pub proto_payload: Option<&'a [u8]>,
    pub http_request: Option<&'a [u8]>,
    pub operation: Option<&'a [u8]>,
    pub source_location: Option<&'a [u8]>,
}

/// Whether the document's gcp.resource, `{"type":…,"labels":…}`, has the resource's own members
/// in its own order (so its received text can stand for it).
pub fn written_as_received(resource: &Value) -> bool {
    let Value::Object(resource) = resource else { return false };
    let mut members = resource.iter();
    matches!(
        (members.next(), members.next(), members.next()),
        (Some((type_key, Value::String(_))), Some((labels_key, Value::Object(_))), None) if type_key == "type" && labels_key == "labels"
    )
}

fn write_object(out: &mut Vec<u8>, map: &Map<String, Value>, verbatim: Option<&[u8]>) -> Result<(), Declined> {
    match verbatim {
        Some(text) => {
            out.extend_from_slice(text);
            Ok(())
        }
        None => write_map(out, map),
    }
}

pub fn write_document(
    out: &mut Vec<u8>,
    record: &Record<'_>,
    verbatim: &Verbatim<'_>,
    entry_id: &str,
    redactions: Option<&[(String, u64)]>,
) -> Result<(), Declined> {
    key(out, b"{\"@timestamp\":\"");
    write_ns(out, record.timestamp_ns);
    key(out, b"\",\"log\":{\"level\":\"");
    out.extend_from_slice(record.severity.as_bytes());
    key(out, b"\",\"logger\":");
    write_str(out, record.log_name);
    key(out, b"},\"event\":{\"dataset\":");
    write_dataset(out, &record.log_id);
    key(out, b",\"id\":");
    write_str(out, record.insert_id.unwrap_or(entry_id));
    key(out, b"},\"cloud\":{\"provider\":\"gcp\"");
    if let Some(project) = record.project_id {
        key(out, b",\"project\":");
        single(out, b"\"id\":", project);
    }
    if let Some(location) = record.k8s.location.or_else(|| location_of(record.resource_labels)) {
        if is_zone(location)? {
            key(out, b",\"availability_zone\":");
            write_str(out, location);
            key(out, b",\"region\":");
            write_str(out, &location[..location.len() - 2]);
        } else {
            key(out, b",\"region\":");
            write_str(out, location);
        }
    }
    out.push(b'}');
    if let Some(message) = record.message {
        key(out, b",\"message\":");
        write_str(out, message);
    }
    if let Some(cluster) = record.k8s.cluster {
        key(out, b",\"orchestrator\":{\"type\":\"kubernetes\",\"cluster\":");
        single(out, b"\"name\":", cluster);
        out.push(b'}');
    }
    write_kubernetes(out, record);
    if let Some(trace) = record.trace {
        let id = trace.rfind("/traces/").map(|at| &trace[at + 8..]).filter(|id| !id.is_empty()).unwrap_or(trace);
        key(out, b",\"trace\":");
        single(out, b"\"id\":", id);
    }
    if let Some(span) = record.span_id {
        key(out, b",\"span\":");
        single(out, b"\"id\":", span);
    }
    if let Some(http_request) = record.http_request.filter(|map| !map.is_empty()) {
        write_http(out, http_request);
    }
    if let Some(labels) = record.labels.filter(|map| !map.is_empty()) {
        key(out, b",\"labels\":");
        write_object(out, labels, verbatim.labels)?;
    }
    write_gcp(out, record, verbatim, entry_id, redactions)?;
    out.push(b'}');
    Ok(())
}

fn write_kubernetes(out: &mut Vec<u8>, record: &Record<'_>) {
    let k8s = &record.k8s;
    if k8s.namespace.is_none() && k8s.pod.is_none() && k8s.container.is_none() && k8s.node.is_none() {
        return;
    }
    key(out, b",\"kubernetes\":{");
    let mut first = true;
    let mut separate = |out: &mut Vec<u8>| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
    };
    if let Some(namespace) = k8s.namespace {
        separate(out);
        key(out, b"\"namespace\":");
        write_str(out, namespace);
    }
    for (field, value) in [(&b"\"pod\":"[..], k8s.pod), (b"\"container\":", k8s.container), (b"\"node\":", k8s.node)] {
        if let Some(name) = value {
            separate(out);
            key(out, field);
            single(out, b"\"name\":", name);
        }
    }
    out.push(b'}');
}

fn write_http(out: &mut Vec<u8>, http_request: &Map<String, Value>) {
    let method = match lookup(http_request, "requestMethod") {
        Some(Value::String(method)) => Some(method.as_str()),
        _ => None,
    };
    let status = status_code(http_request);
    if method.is_some() || status.is_some() {
        key(out, b",\"http\":{");
        if let Some(method) = method {
            key(out, b"\"request\":");
            single(out, b"\"method\":", method);
        }
        if let Some(status) = status {
            if method.is_some() {
                out.push(b',');
            }
            key(out, b"\"response\":{\"status_code\":");
            write_u64(out, status);
            out.push(b'}');
        }
        out.push(b'}');
    }
    if let Some(Value::String(url)) = lookup(http_request, "requestUrl") {
        key(out, b",\"url\":");
        single(out, b"\"original\":", url);
    }
    if let Some(Value::String(agent)) = lookup(http_request, "userAgent") {
        key(out, b",\"user_agent\":");
        single(out, b"\"original\":", agent);
    }
}

fn write_gcp(
    out: &mut Vec<u8>,
    record: &Record<'_>,
    verbatim: &Verbatim<'_>,
    entry_id: &str, redactions: Option<&[(String, u64)]>) -> Result<(), Declined> {
    key(out, b",\"gcp\":{\"entry_id\":");
    write_str(out, entry_id);
    key(out, b",\"log_id\":");
    write_str(out, &record.log_id);
    key(out, b",\"severity_number\":");
    write_u64(out, u64::from(record.severity_number));
    key(out, b",\"timestamp_source\":\"");
    out.extend_from_slice(record.timestamp_source.as_bytes());
    key(out, b"\",\"resource\":");
    if let Some(text) = verbatim.resource {
        out.extend_from_slice(text);
    } else {
        key(out, b"{\"type\":");
        match record.resource_type {
            Some(resource_type) => write_str(out, resource_type),
            None => key(out, b"null"),
        }
        key(out, b",\"labels\":");
        match record.resource_labels {
            Some(labels) => write_map(out, labels)?,
            None => key(out, b"{}"),
        }
        out.push(b'}');
    }
    for (field, value, text) in [
        (&b",\"json_payload\":"[..], record.json_payload, verbatim.json_payload),
        (b",\"proto_payload\":", record.proto_payload, verbatim.proto_payload),
        (b",\"http_request\":", record.http_request, verbatim.http_request),
        (b",\"operation\":", record.operation, verbatim.operation),
        (b",\"source_location\":", record.source_location, verbatim.source_location),
    ] {
        if let Some(map) = value {
            key(out, field);
            write_object(out, map, text)?;
        }
    }
    if let Some(sampled) = record.trace_sampled {
        key(out, if sampled { b",\"trace_sampled\":true" } else { b",\"trace_sampled\":false" });
    }
    for (field, value) in [(&b",\"receive_timestamp\":\""[..], record.receive_timestamp_ns), (b",\"publish_time\":\"", record.publish_time_ns)] {
        if let Some(ns) = value {
            key(out, field);
            write_ns(out, ns);
            out.push(b'"');
        }
    }
    if let Some(fired) = redactions.filter(|fired| !fired.is_empty()) {
        key(out, b",\"redactions\":{");
        for (index, (rule, count)) in fired.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            write_str(out, rule);
            out.push(b':');
            write_u64(out, *count);
        }
        out.push(b'}');
    }
    out.push(b'}');
    Ok(())
}
