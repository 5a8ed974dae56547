"""The google provider's resource schemas, read offline from the cdktf prebuilt provider package.

The provider binary cannot be fetched here (see terraform/README.md), but the
``cdktf-cdktf-provider-google`` wheel on PyPI ships a jsii assembly generated from
the provider's own schema: every resource and data source with its arguments,
which are required, and which are nested blocks. We reduce it to a small JSON
tree cached under ~/.cache so the Terraform checks can verify every argument and
block we write against the real provider schema.
"""
from __future__ import annotations

import io
import json
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
SCHEMA_CACHE = CACHE_DIR / f"google-{PROVIDER_VERSION}-schema-v2.json"

_DOC_LINK = re.compile(r"docs/(resources|data-sources)/(\w+)#(\w+) ")
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


def _computed(types: dict, fqn: str | None) -> list[str]:
    """Attributes readable on a resource or block (the getters cdktf generates), arguments included."""
    spec = types.get(fqn or "", {})
    return sorted({
        _snake(p["name"]) for p in spec.get("properties", [])
        if not p.get("static") and not p["name"].endswith("Input") and p["name"] not in _CDKTF_GETTERS
    })


def _node(types: dict, fqn: str, reader: str | None = None) -> dict:
    attrs: dict[str, bool] = {}
    blocks: dict[str, dict] = {}
    for prop in types[fqn].get("properties", []):
        docs = prop.get("docs", {})
        link = _DOC_LINK.search(docs.get("summary", "") + " " + docs.get("remarks", ""))
        if link is None:  # cdktf meta-arguments (count, provider, ...) carry no registry link
            continue
        name = link.group(3)
        nested = _struct_fqn(prop["type"])
        if nested:
            blocks[name] = _node(types, nested, f"{nested}OutputReference")
        else:
            attrs[name] = not prop.get("optional", False)
    return {"attrs": attrs, "blocks": blocks, "readable": _computed(types, reader)}


def build_schema() -> dict:
    types = _assembly()["types"]
    schema: dict[str, dict] = {"resource": {}, "data": {}}
    for fqn, spec in types.items():
        if spec.get("kind") != "class" or spec.get("base") not in ("cdktf.TerraformResource", "cdktf.TerraformDataSource"):
            continue
        link = _TYPE_LINK.search(spec["docs"]["summary"])
        config = spec["initializer"]["parameters"][-1]["type"]["fqn"]
        schema[_KIND[link.group(1)]][link.group(3)] = _node(types, config, fqn)
    return schema


def load_schema() -> dict:
    if not SCHEMA_CACHE.exists():
        SCHEMA_CACHE.parent.mkdir(parents=True, exist_ok=True)
        SCHEMA_CACHE.write_text(json.dumps(build_schema()))
    return json.loads(SCHEMA_CACHE.read_text())


if __name__ == "__main__":  # python tests/terraform/provider_schema.py resource google_pubsub_subscription
    print(json.dumps(load_schema()[sys.argv[1]][sys.argv[2]], indent=1))
