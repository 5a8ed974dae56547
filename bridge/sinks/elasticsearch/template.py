"""Composable index templates for the daily data indices and the dead-letter indices.

Every field the document builder writes is mapped explicitly; the top level is
`dynamic: false`, so nothing a log carries can add fields. The free-form parts of an
entry (labels, payloads, resource labels) are `flattened`: any number of keys, any
value type, searchable by key, one mapping field each. A leaf value longer than
`ignore_above` stays in `_source` but is not indexed (Lucene refuses terms over 32 KiB).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Mapping

import orjson

from .document import IndexNames

log = logging.getLogger(__name__)

TEMPLATE_VERSION = 1
PRIORITY = 200  # above Elastic's built-in `logs-*-*` (100); our patterns do not overlap it anyway

# ECS keeps keywords to 1024 characters; URLs, user agents and log names get more room.
KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 1024}
LONG_KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 8191}
DATE_NANOS: dict[str, Any] = {"type": "date_nanos"}


@dataclass(frozen=True, slots=True)
class TemplateOptions:
    shards: int = 1
    replicas: int = 1
    # orjson serializes at most 254 levels, so every entry the bridge can send fits.
    flattened_depth_limit: int = 256
    # Characters; 8191 x 4 UTF-8 bytes stays under Lucene's 32766-byte term limit.
    flattened_ignore_above: int = 8191


def _object(**properties: Any) -> dict[str, Any]:
    return {"properties": properties}


def log_mappings(options: TemplateOptions = TemplateOptions()) -> dict[str, Any]:
    flat = {
        "type": "flattened",
        "depth_limit": options.flattened_depth_limit,
        "ignore_above": options.flattened_ignore_above,
    }
    return {
        "dynamic": False,
        "properties": {
            "@timestamp": DATE_NANOS,
            "message": {"type": "text"},
            "log": _object(level=KEYWORD, logger=LONG_KEYWORD),
            "event": _object(dataset=KEYWORD, id=KEYWORD),
            "cloud": _object(
                provider=KEYWORD, project=_object(id=KEYWORD), availability_zone=KEYWORD, region=KEYWORD
            ),
            "orchestrator": _object(type=KEYWORD, cluster=_object(name=KEYWORD)),
            "kubernetes": _object(
                namespace=KEYWORD,
                pod=_object(name=KEYWORD),
                container=_object(name=KEYWORD),
                node=_object(name=KEYWORD),
            ),
            "trace": _object(id=KEYWORD),
            "span": _object(id=KEYWORD),
            "http": _object(request=_object(method=KEYWORD), response=_object(status_code={"type": "long"})),
            "url": _object(original=LONG_KEYWORD),
            "user_agent": _object(original=LONG_KEYWORD),
            "labels": flat,
            "gcp": _object(
                entry_id=KEYWORD,
                log_id=KEYWORD,
                severity_number={"type": "short"},
                timestamp_source=KEYWORD,
                resource=_object(type=KEYWORD, labels=flat),
                json_payload=flat,
                proto_payload=flat,
                http_request=flat,
                operation=flat,
                source_location=flat,
                trace_sampled={"type": "boolean"},
                receive_timestamp=DATE_NANOS,
                publish_time=DATE_NANOS,
                redactions=flat,
            ),
        },
    }


def dead_letter_mappings() -> dict[str, Any]:
    """What `deadletters.dead_letter_document` writes."""
    return {
        "dynamic": False,
        "properties": {
            "@timestamp": DATE_NANOS,
            "reason": {"type": "text", "fields": {"keyword": KEYWORD}},
            "reason_type": KEYWORD,
            "destination": KEYWORD,
            "entry_id": KEYWORD,
            "message_id": KEYWORD,
            "dead_letter_id": KEYWORD,
            "raw": {"type": "text"},
            "raw_encoding": KEYWORD,
            "replayed_at": DATE_NANOS,
            "replay_count": {"type": "integer"},
        },
    }


def _template(pattern: str, alias: str, mappings: Mapping[str, Any], options: TemplateOptions) -> dict[str, Any]:
    body: dict[str, Any] = {
        "index_patterns": [pattern],
        "priority": PRIORITY,
        "version": TEMPLATE_VERSION,
        "template": {
            "settings": {
                "index": {
                    "number_of_shards": options.shards,
                    "number_of_replicas": options.replicas,
                    "codec": "best_compression",
                }
            },
            "mappings": mappings,
            "aliases": {alias: {}},
        },
    }
    # The digest tells a writer whether the installed template is this one, without comparing JSON.
    digest = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
    body["_meta"] = {"managed_by": "gcp-log-bridge", "digest": digest}
    return body


def index_templates(names: IndexNames = IndexNames(), options: TemplateOptions = TemplateOptions()) -> dict[str, dict[str, Any]]:
    """Template name -> body. The alias of each is the prefix itself (`gcp-logs`, `gcp-deadletter`)."""
    return {
        names.prefix: _template(names.pattern, names.prefix, log_mappings(options), options),
        names.dead_letter_prefix: _template(names.dead_letter_pattern, names.dead_letter_prefix, dead_letter_mappings(), options),
    }


def mapped_paths(mappings: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Dotted field path -> type, for every leaf (flattened fields are leaves; sub-fields included)."""
    paths: dict[str, str] = {}
    for name, spec in mappings.get("properties", {}).items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            paths.update(mapped_paths(spec, f"{path}."))
            continue
        paths[path] = spec["type"]
        for sub, sub_spec in spec.get("fields", {}).items():
            paths[f"{path}.{sub}"] = sub_spec["type"]
    return paths
