"""The google provider's schema, read offline from the cdktf prebuilt provider package.

The provider binary cannot be fetched here (see terraform/README.md), but the
``cdktf-cdktf-provider-google`` wheel on PyPI ships a jsii assembly generated from
the provider's own schema: every resource, data source and the provider block, with
their arguments and types, which are required, which are nested blocks, and the
attributes a reference may read. We reduce it to a JSON tree cached under ~/.cache,
used by the Python checks and served to Terraform by tests/terraform/schema_provider.
"""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

CDKTF_PACKAGE = "cdktf-cdktf-provider-google"
CDKTF_VERSION = "16.12.1"  # generated from hashicorp/google 6.50.0
PROVIDER_VERSION = "6.50.0"
CACHE_DIR = Path.home() / ".cache" / "gcp-log-bridge" / "cdktf"
SCHEMA_CACHE = CACHE_DIR / f"google-{PROVIDER_VERSION}-schema-v3.json"

_DOC_LINK = re.compile(r"/docs[/\w-]*#(\w+) ")  # the argument's anchor in its registry page
_TYPE_LINK = re.compile(r"docs/(resources|data-sources)/(\w+) (google_\w+)\}")
_KIND = {"resources": "resource", "data-sources": "data"}
# Getters every cdktf construct has that are not Terraform attributes.
_CDKTF_GETTERS = frozenset({
    "internalValue", "fqn", "friendlyUniqueId", "terraformMetaArguments", "terraformResourceType",
    "terraformGeneratorMetadata", "node", "cdktfStack", "rawOverrides", "creationStack", "complexObjectIndex",
    "complexObjectIsFromSet", "terraformAttribute", "terraformResource",
})


def _wheel() -> Path:
    found = sorted(CACHE_DIR.glob(f"cdktf_cdktf_provider_google-{CDKTF_VERSION}-*.whl"))
    if found:
        return found[0]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE_DIR),
         f"{CDKTF_PACKAGE}=={CDKTF_VERSION}"],
        check=True,
    )
    return sorted(CACHE_DIR.glob(f"cdktf_cdktf_provider_google-{CDKTF_VERSION}-*.whl"))[0]


def _assembly() -> dict:
    with zipfile.ZipFile(_wheel()) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(wheel.read(name))) as tgz:
            return json.load(tgz.extractfile("package/.jsii"))


def _struct_fqn(type_ref: dict) -> str | None:
    """The nested-block struct a property refers to, or None for a plain attribute."""
    if "fqn" in type_ref:
        return type_ref["fqn"] if type_ref["fqn"].startswith("@cdktf/provider-google.") else None
    if "union" in type_ref:
        return next(filter(None, map(_struct_fqn, type_ref["union"]["types"])), None)
    if "collection" in type_ref:
        return _struct_fqn(type_ref["collection"]["elementtype"])
    return None


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# cdktf's typed map getters, as Terraform types.
_CDKTF_MAPS = {"cdktf.StringMap": ["map", "string"], "cdktf.NumberMap": ["map", "number"],
               "cdktf.BooleanMap": ["map", "bool"], "cdktf.AnyMap": ["map", "dynamic"]}
_PRIMITIVES = {"string": "string", "number": "number", "boolean": "bool", "date": "string"}


def _tf_type(type_ref: dict):
    """A jsii type reference as a Terraform type: "string", ["list", "string"], ["map", ...] or "dynamic"."""
    if "primitive" in type_ref:
        return _PRIMITIVES.get(type_ref["primitive"], "dynamic")
    if "collection" in type_ref:
        kind = {"array": "list", "map": "map"}[type_ref["collection"]["kind"]]
        return [kind, _tf_type(type_ref["collection"]["elementtype"])]
    if "union" in type_ref:  # boolean | IResolvable and the like: the concrete member
        concrete = [t for t in type_ref["union"]["types"] if t.get("fqn") != "cdktf.IResolvable"]
        return _tf_type(concrete[0]) if len(concrete) == 1 else "dynamic"
    return _CDKTF_MAPS.get(type_ref.get("fqn", ""), "dynamic")


def _readable(types: dict, fqn: str | None) -> dict:
    """Attributes readable on a resource or block (the getters cdktf generates, arguments included), typed."""
    spec = types.get(fqn or "", {})
    return {
        _snake(p["name"]): _tf_type(p["type"]) for p in spec.get("properties", [])
        if not p.get("static") and not p["name"].endswith("Input") and p["name"] not in _CDKTF_GETTERS
    }


def _node(types: dict, fqn: str, reader: str | None = None) -> dict:
    """attrs: argument -> required; types: argument -> type; blocks: nested blocks (single ones flagged);
    readable: every attribute a reference may read, with its type."""
    attrs: dict[str, bool] = {}
    attr_types: dict[str, object] = {}
    blocks: dict[str, dict] = {}
    for prop in types[fqn].get("properties", []):
        docs = prop.get("docs", {})
        link = _DOC_LINK.search(docs.get("summary", "") + " " + docs.get("remarks", ""))
        if link is None:  # cdktf meta-arguments (count, provider, ...) carry no registry link
            continue
        name = link.group(1)
        nested = _struct_fqn(prop["type"])
        if nested:
            blocks[name] = {**_node(types, nested, f"{nested}OutputReference"), "single": "fqn" in prop["type"]}
        else:
            attrs[name] = not prop.get("optional", False)
            attr_types[name] = _tf_type(prop["type"])
    return {"attrs": attrs, "types": attr_types, "blocks": blocks, "readable": _readable(types, reader)}


def build_schema() -> dict:
    types = _assembly()["types"]
    schema: dict[str, dict] = {"resource": {}, "data": {}}
    for fqn, spec in types.items():
        if spec.get("kind") != "class":
            continue
        config = spec.get("initializer", {}).get("parameters", [{}])[-1].get("type", {}).get("fqn")
        if spec.get("base") == "cdktf.TerraformProvider":
            schema["provider"] = _node(types, config)
        elif spec.get("base") in ("cdktf.TerraformResource", "cdktf.TerraformDataSource"):
            link = _TYPE_LINK.search(spec["docs"]["summary"])
            schema[_KIND[link.group(1)]][link.group(3)] = _node(types, config, fqn)
    return schema


def load_schema() -> dict:
    if not SCHEMA_CACHE.exists():
        SCHEMA_CACHE.parent.mkdir(parents=True, exist_ok=True)
        partial = SCHEMA_CACHE.with_name(f"{SCHEMA_CACHE.name}.{os.getpid()}")
        partial.write_text(json.dumps(build_schema()))
        os.replace(partial, SCHEMA_CACHE)  # parallel runs never read half a file
    return json.loads(SCHEMA_CACHE.read_text())


# The hashicorp/archive provider is not in the cdktf google package; its one data source, from its docs (2.x).
ARCHIVE_VERSION = "2.7.1"
ARCHIVE_FILE = {
    "attrs": {
        "type": True, "output_path": True, "source_dir": False, "source_file": False, "source_content": False,
        "source_content_filename": False, "excludes": False, "exclude_symlink_directories": False,
        "output_file_mode": False,
    },
    "types": {
        "type": "string", "output_path": "string", "source_dir": "string", "source_file": "string",
        "source_content": "string", "source_content_filename": "string", "excludes": ["set", "string"],
        "exclude_symlink_directories": "bool", "output_file_mode": "string",
    },
    "blocks": {"source": {"attrs": {"content": True, "filename": True}, "types": {"content": "string", "filename": "string"},
                          "blocks": {}, "readable": {}, "single": False}},
    "readable": {"id": "string", "output_size": "number", **{f"output_{h}": "string" for h in (
        "md5", "sha", "sha256", "sha512", "base64sha256", "base64sha512")}},
}
ARCHIVE_SCHEMA = {"provider": {"attrs": {}, "types": {}, "blocks": {}, "readable": {}}, "resource": {}, "data": {"archive_file": ARCHIVE_FILE}}
# Meta-arguments Terraform reserves in a provider block.
_PROVIDER_META = frozenset({"alias", "version"})


def _stub_block(node: dict) -> dict:
    """A node in the JSON the schema-only provider (tests/terraform/schema_provider) serves."""
    attributes = [
        {"name": n, "type": node["types"][n], "required": required, "optional": not required, "computed": not required}
        for n, required in node["attrs"].items() if n not in _PROVIDER_META
    ]
    attributes += [
        {"name": n, "type": t, "computed": True}
        for n, t in node["readable"].items() if n not in node["attrs"] and n not in node["blocks"]
    ]
    blocks = [{"name": n, "max_items": 1 if b["single"] else 0, "block": _stub_block(b)} for n, b in node["blocks"].items()]
    return {"attributes": attributes, "block_types": blocks}


def stub_schema(schema: dict) -> dict:
    return {
        "provider": _stub_block(schema["provider"]),
        "resources": {name: _stub_block(node) for name, node in schema["resource"].items()},
        "data_sources": {name: _stub_block(node) for name, node in schema["data"].items()},
    }


if __name__ == "__main__":  # python tests/terraform/provider_schema.py resource google_pubsub_subscription
    print(json.dumps(load_schema()[sys.argv[1]][sys.argv[2]], indent=1))
