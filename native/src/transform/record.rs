//! LogEntry -> Record (bridge/normalize.py `normalize`), borrowing from the parsed entry.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::severity::severity_of;
use super::timestamps::{in_range, parse_rfc3339_ns};
use super::Declined;

type Object = Map<String, Value>;

pub struct K8s<'a> {
    pub cluster: Option<&'a str>,
    pub location: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub pod: Option<&'a str>,
    pub container: Option<&'a str>,
    pub node: Option<&'a str>,
}

pub struct Record<'a> {
    pub timestamp_ns: i64,
    pub timestamp_source: &'static str,
    pub receive_timestamp_ns: Option<i64>,
    pub log_name: &'a str,
    pub log_id: Cow<'a, str>,
    pub insert_id: Option<&'a str>,
    pub severity: &'static str,
    pub severity_number: u16,
    pub project_id: Option<&'a str>,
    pub resource_type: Option<&'a str>,
    pub resource_labels: Option<&'a Object>,
    pub labels: Option<&'a Object>,
    pub json_payload: Option<&'a Object>,
    pub proto_payload: Option<&'a Object>,
    pub http_request: Option<&'a Object>,
    pub message: Option<&'a str>,
    pub trace: Option<&'a str>,
    pub span_id: Option<&'a str>,
    pub trace_sampled: Option<bool>,
    pub k8s: K8s<'a>,
    pub operation: Option<&'a Object>,
    pub source_location: Option<&'a Object>,
    pub publish_time_ns: Option<i64>,
}

/// The LogEntry fields the transform reads, found in one pass over the entry instead of one
/// hashed lookup each (keys are unique, so this is `entry.get(key)` for every key).
#[derive(Default)]
pub struct Fields<'a> {
    pub log_name: Option<&'a Value>,
    pub insert_id: Option<&'a Value>,
    pub timestamp: Option<&'a Value>,
    receive_timestamp: Option<&'a Value>,
    severity: Option<&'a Value>,
    resource: Option<&'a Value>,
    labels: Option<&'a Value>,
    text_payload: Option<&'a Value>,
    json_payload: Option<&'a Value>,
    proto_payload: Option<&'a Value>,
    http_request: Option<&'a Value>,
    trace: Option<&'a Value>,
    span_id: Option<&'a Value>,
    trace_sampled: Option<&'a Value>,
    operation: Option<&'a Value>,
    source_location: Option<&'a Value>,
}

impl<'a> Fields<'a> {
    pub fn of(entry: &'a Object) -> Self {
        let mut fields = Fields::default();
        for (key, value) in entry {
            let slot = match key.as_str() {
                "logName" => &mut fields.log_name,
                "insertId" => &mut fields.insert_id,
                "timestamp" => &mut fields.timestamp,
                "receiveTimestamp" => &mut fields.receive_timestamp,
                "severity" => &mut fields.severity,
                "resource" => &mut fields.resource,
                "labels" => &mut fields.labels,
                "textPayload" => &mut fields.text_payload,
                "jsonPayload" => &mut fields.json_payload,
                "protoPayload" => &mut fields.proto_payload,
                "httpRequest" => &mut fields.http_request,
                "trace" => &mut fields.trace,
                "spanId" => &mut fields.span_id,
                "traceSampled" => &mut fields.trace_sampled,
                "operation" => &mut fields.operation,
                "sourceLocation" => &mut fields.source_location,
                _ => continue,
            };
            *slot = Some(value);
        }
        fields
    }
}

/// `map.get(key)` by scanning: small maps (labels, httpRequest) are found faster than hashed.
pub fn lookup<'a>(map: &'a Object, key: &str) -> Option<&'a Value> {
    if map.len() > 16 {
        return map.get(key);
    }
    map.iter().find_map(|(name, value)| (name == key).then_some(value))
}

const NO_K8S: K8s<'static> = K8s { cluster: None, location: None, namespace: None, pod: None, container: None, node: None };
// jsonPayload keys that hold the human-readable line, in order of preference.
const MESSAGE_KEYS: [&str; 3] = ["message", "msg", "log"];

/// resource.type -> label keys of (cluster, location, namespace, pod, container, node).
fn k8s_label_keys(resource_type: &str) -> Option<[Option<&'static str>; 6]> {
    Some(match resource_type {
        "k8s_container" => [Some("cluster_name"), Some("location"), Some("namespace_name"), Some("pod_name"), Some("container_name"), None],
        "k8s_pod" => [Some("cluster_name"), Some("location"), Some("namespace_name"), Some("pod_name"), None, None],
        "k8s_node" => [Some("cluster_name"), Some("location"), None, None, None, Some("node_name")],
        "k8s_cluster" => [Some("cluster_name"), Some("location"), None, None, None, None],
        "container" => [Some("cluster_name"), Some("zone"), Some("namespace_id"), Some("pod_id"), Some("container_name"), None],
        _ => return None,
    })
}

/// A non-empty string label (`resources._text`).
pub fn text<'a>(labels: Option<&'a Object>, key: &str) -> Option<&'a str> {
    match lookup(labels?, key) {
        Some(Value::String(value)) if !value.is_empty() => Some(value),
        _ => None,
    }
}

fn k8s_fields<'a>(resource_type: Option<&str>, labels: Option<&'a Object>) -> K8s<'a> {
    let Some(keys) = k8s_label_keys(resource_type.unwrap_or("")) else {
        return NO_K8S;
    };
    let field = |key: Option<&str>| key.and_then(|key| text(labels, key));
    K8s {
        cluster: field(keys[0]),
        location: field(keys[1]),
        namespace: field(keys[2]),
        pod: field(keys[3]),
        container: field(keys[4]),
        node: field(keys[5]),
    }
}

fn mapping(value: Option<&Value>) -> Result<Option<&Object>, Declined> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(Declined("field is not an object")),
    }
}

/// `_string`: absent, null and "" are None.
fn string(value: Option<&Value>) -> Result<Option<&str>, Declined> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok((!value.is_empty()).then_some(value.as_str())),
        Some(_) => Err(Declined("field is not a string")),
    }
}

/// Python truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// `seconds` of a {seconds, nanos} timestamp: an integer, or a string Python's
/// `lstrip("-").isdigit()` + `int()` reads the same way (one optional '-', ASCII digits).
fn whole_seconds(value: Option<&Value>) -> Option<i128> {
    match value {
        None => Some(0),
        Some(Value::Number(number)) => number.as_i64().map(i128::from).or_else(|| number.as_u64().map(i128::from)),
        Some(Value::String(text)) => {
            let (negative, digits) = match text.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, text.as_str()),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let magnitude = digits.bytes().try_fold(0i128, |acc, b| acc.checked_mul(10)?.checked_add(i128::from(b - b'0')))?;
            Some(if negative { -magnitude } else { magnitude })
        }
        Some(_) => None,
    }
}

/// `_timestamp_ns`: RFC 3339 string or {seconds, nanos}; None where Python raises.
pub fn timestamp_ns(value: &Value) -> Option<i64> {
    match value {
        Value::String(text) => in_range(parse_rfc3339_ns(text)?),
        Value::Object(map) => {
            let seconds = whole_seconds(lookup(map, "seconds"))?;
            let nanos = match lookup(map, "nanos") {
                None => 0,
                Some(Value::Number(number)) => number.as_i64().filter(|n| (0..1_000_000_000).contains(n))?,
                Some(_) => return None,
            };
            in_range(seconds.checked_mul(1_000_000_000)? + i128::from(nanos))
        }
        _ => None,
    }
}

/// `entry_time`: timestamp, then receiveTimestamp, then publish time, and which one it was.
fn entry_time(fields: &Fields<'_>, publish_time_ns: Option<i64>) -> Result<(i64, &'static str), Declined> {
    for (field, value) in [("timestamp", fields.timestamp), ("receiveTimestamp", fields.receive_timestamp)] {
        match value {
            None | Some(Value::Null) => continue,
            Some(Value::String(text)) if text.is_empty() => continue,
            Some(value) => return timestamp_ns(value).map(|ns| (ns, field)).ok_or(Declined("bad timestamp")),
        }
    }
    publish_time_ns.map(|ns| (ns, "publishTime")).ok_or(Declined("no timestamp"))
}

/// `log_id_of`: the part after "/logs/", percent-decoded.
fn log_id_of(log_name: &str) -> Result<Cow<'_, str>, Declined> {
    // The first "/logs/", found from its slashes: cheaper than building a substring searcher per name.
    let bytes = log_name.as_bytes();
    let Some(at) = memchr::memchr_iter(b'/', bytes).find(|&at| bytes[at..].starts_with(b"/logs/")) else {
        return Ok(Cow::Borrowed(log_name));
    };
    let log_id = &log_name[at + 6..];
    if !log_id.contains('%') {
        return Ok(Cow::Borrowed(log_id));
    }
    let bytes = log_id.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = |i: usize| bytes.get(i).and_then(|b| (*b as char).to_digit(16));
        match (bytes[at], hex(at + 1), hex(at + 2)) {
            (b'%', Some(high), Some(low)) => {
                decoded.push((high * 16 + low) as u8);
                at += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    // Python replaces invalid UTF-8 with U+FFFD per its own rules: leave those to it.
    String::from_utf8(decoded).map(Cow::Owned).map_err(|_| Declined("log id is not UTF-8"))
}

fn project_of<'a>(log_name: &'a str, resource_labels: Option<&'a Object>) -> Option<&'a str> {
    text(resource_labels, "project_id").or_else(|| {
        let project = log_name.strip_prefix("projects/")?.split('/').next()?;
        (!project.is_empty()).then_some(project)
    })
}

fn message_of<'a>(text_payload: Option<&'a str>, json_payload: Option<&'a Object>) -> Option<&'a str> {
    if text_payload.is_some() {
        return text_payload;
    }
    let payload = json_payload?;
    MESSAGE_KEYS.iter().find_map(|key| match lookup(payload, key) {
        Some(Value::String(value)) => Some(value.as_str()),
        _ => None,
    })
}

/// None (a decline) wherever `normalize` raises.
pub fn normalize<'a>(fields: &Fields<'a>, publish_time_ns: Option<i64>) -> Result<Record<'a>, Declined> {
    let Some(Value::String(log_name)) = fields.log_name else {
        return Err(Declined("logName"));
    };
    let (timestamp_ns, timestamp_source) = entry_time(fields, publish_time_ns)?;
    let receive_timestamp_ns = match fields.receive_timestamp {
        Some(value) if truthy(value) => Some(timestamp_ns_of(value)?),
        _ => None,
    };
    let (severity, severity_number) = severity_of(fields.severity).ok_or(Declined("severity"))?;
    let resource = mapping(fields.resource)?;
    let resource_type = match resource.and_then(|r| lookup(r, "type")) {
        None | Some(Value::Null) => None,
        Some(Value::String(value)) => Some(value.as_str()),
        Some(_) => return Err(Declined("resource.type")),
    };
    let resource_labels = match resource {
        Some(resource) => mapping(lookup(resource, "labels"))?,
        None => None,
    };
    let text_payload = string(fields.text_payload)?;
    let json_payload = mapping(fields.json_payload)?;
    Ok(Record {
        timestamp_ns,
        timestamp_source,
        receive_timestamp_ns,
        log_name,
        log_id: log_id_of(log_name)?,
        insert_id: string(fields.insert_id)?,
        severity,
        severity_number,
        project_id: project_of(log_name, resource_labels),
        resource_type,
        resource_labels,
        labels: mapping(fields.labels)?,
        json_payload,
        proto_payload: mapping(fields.proto_payload)?,
        http_request: mapping(fields.http_request)?,
        message: message_of(text_payload, json_payload),
        trace: string(fields.trace)?,
        span_id: string(fields.span_id)?,
        trace_sampled: fields.trace_sampled.and_then(Value::as_bool),
        k8s: k8s_fields(resource_type, resource_labels),
        operation: mapping(fields.operation)?,
        source_location: mapping(fields.source_location)?,
        publish_time_ns,
    })
}

fn timestamp_ns_of(value: &Value) -> Result<i64, Declined> {
    timestamp_ns(value).ok_or(Declined("bad receiveTimestamp"))
}
