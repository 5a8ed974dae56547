"""The Elasticsearch roles the bridge needs, least privilege, as role descriptors.

The same JSON works for `PUT _security/role/<name>` and, one role per line, for a
file-realm `roles.yml`; `python -m bridge.sinks.elasticsearch.roles` prints them. The integration tests run the bridge under exactly these.
"""
from __future__ import annotations

import sys
from typing import Any

import orjson

from .document import IndexNames


def roles(names: IndexNames = IndexNames()) -> dict[str, dict[str, Any]]:
    logs, dead = names.pattern, names.dead_letter_pattern
    return {
        # The functions and the pull worker: create documents (never overwrite or delete), create daily
        # indices; read the dead letters only to find one stored on an earlier day instead of adding it again.
        "gcp_log_bridge_writer": {
            "cluster": [],
            "indices": [
                {"names": [logs], "privileges": ["create_doc", "create_index"]},
                {"names": [dead], "privileges": ["create_doc", "create_index", "read"]},
            ],
        },
        # es-setup (templates), es-retention (delete old indices), replay (rewrite and remove dead letters).
        "gcp_log_bridge_admin": {
            "cluster": ["manage_index_templates", "monitor"],
            "indices": [
                {"names": [logs], "privileges": ["create_doc", "create_index", "read", "view_index_metadata", "delete_index"]},
                {"names": [dead], "privileges": ["create_doc", "create_index", "read", "index", "delete", "view_index_metadata", "delete_index"]},
            ],
        },
        # Engineers in Kibana: read both, change nothing.
        "gcp_log_bridge_reader": {
            "cluster": [],
            "indices": [{"names": [logs, dead, names.prefix, names.dead_letter_prefix], "privileges": ["read", "view_index_metadata"]}],
        },
    }


def roles_yml(names: IndexNames = IndexNames()) -> bytes:
    """A file-realm roles.yml: one `name: {descriptor}` line per role (a YAML block mapping of JSON values)."""
    return b"".join(name.encode() + b": " + orjson.dumps(body) + b"\n" for name, body in roles(names).items())


if __name__ == "__main__":
    sys.stdout.buffer.write(orjson.dumps(roles(), option=orjson.OPT_INDENT_2) + b"\n")
