"""Every resource and data block uses only arguments and blocks the google provider (6.50.0) defines,
and sets every required one: the offline stand-in for `terraform validate` (see terraform/README.md)."""
from __future__ import annotations

import pytest

import re

from .hcl import META_ARGUMENTS, Block, Module, load_module, modules
from .provider_schema import ARCHIVE_FILE, load_schema

_IGNORED = META_ARGUMENTS | {"__start_line__", "__end_line__"}


def _blocks() -> list[Block]:
    return [b for m in modules().values() for b in m.blocks]


def _schema_of(block: Block, schema: dict) -> dict:
    if (block.kind, block.type) == ("data", "archive_file"):
        return ARCHIVE_FILE
    return schema[block.kind][block.type]


def _expand_dynamic(body: dict) -> dict:
    """dynamic "x" { content { ... } } becomes an x block with the content body."""
    expanded = {k: v for k, v in body.items() if k != "dynamic"}
    for dynamic in body.get("dynamic", []):
        for name, spec in dynamic.items():
            expanded.setdefault(name, []).extend(spec["content"])
    return expanded


def schema_errors(body: dict, node: dict, where: str) -> list[str]:
    body = _expand_dynamic(body)
    errors = [f"{where}: unknown argument or block {key!r}"
              for key in body if key not in _IGNORED and key not in node["attrs"] and key not in node["blocks"]]
    errors += [f"{where}: missing required argument {name!r}"
               for name, required in node["attrs"].items() if required and name not in body]
    for name, child in node["blocks"].items():
        for i, nested in enumerate(body.get(name, [])):
            errors += schema_errors(nested, child, f"{where}.{name}[{i}]")
    return errors


@pytest.fixture(scope="module")
def schema() -> dict:
    return load_schema()


def test_schema_is_the_real_provider_schema(schema):
    # A sanity check on the extraction itself: well-known shapes of the provider.
    assert len(schema["resource"]) > 1000
    sub = schema["resource"]["google_pubsub_subscription"]
    assert sub["attrs"]["name"] is True and sub["attrs"]["topic"] is True
    assert "oidc_token" in sub["blocks"]["push_config"]["blocks"]


@pytest.mark.parametrize("block", _blocks(), ids=lambda b: b.address)
def test_block_matches_provider_schema(block, schema):
    assert block.kind == "data" or block.type in schema["resource"], f"unknown resource type {block.type}"
    assert schema_errors(block.body, _schema_of(block, schema), block.address) == []


def test_checker_rejects_misspelled_and_missing_arguments(schema):
    node = schema["resource"]["google_pubsub_subscription"]
    bad = {"name": ["s"], "ack_deadline": [10], "retry_policy": [{"minimum_backof": ["10s"]}]}
    errors = schema_errors(bad, node, "x")
    assert "x: unknown argument or block 'ack_deadline'" in errors
    assert "x: missing required argument 'topic'" in errors
    assert "x.retry_policy[0]: unknown argument or block 'minimum_backof'" in errors


# data.TYPE.NAME or TYPE.NAME, an optional index, then up to two attribute steps (attr[0].nested).
_REFERENCE = re.compile(
    r"(?<![\w.])(data\.)?(google_\w+|archive_file)\.(\w+)(?:\[[^\]]*\])?(?:\.(\w+))?(?:\[[^\]]*\])?(?:\.(\w+))?"
)


# `for k, item in TYPE.NAME : ... item.attr` and `for_each = TYPE.NAME` with `each.value.attr`: iteration
# variables stand for instances of a resource, so their attributes are checked the same way.
_FOR_OVER_RESOURCE = re.compile(r"for\s+\w+\s*,\s*(\w+)\s+in\s+(google_\w+)\.(\w+)\s*:([^\n]*)")
_FOR_EACH_RESOURCE = re.compile(r"for_each\s*=\s*(google_\w+)\.(\w+)\s*\n")
_ATTRIBUTE_STEPS = r"\.(\w+)(?:\[[^\]]*\])?(?:\.(\w+))?"  # .attr, then optionally [i].nested


def _attribute_error(where: str, node: dict, attr: str, nested: str) -> str | None:
    if attr and attr not in node["readable"] and attr not in node["attrs"]:
        return f"{where} has no attribute {attr!r}"
    if attr in node["blocks"] and nested and nested not in node["blocks"][attr]["readable"]:
        return f"{where}.{attr} has no attribute {nested!r}"
    return None


def _iteration_references(module: Module) -> set[tuple[str, str, str, str, str]]:
    found = set()
    for file in sorted(module.path.glob("*.tf")):
        text = file.read_text()
        for var, rtype, name, body in _FOR_OVER_RESOURCE.findall(text):
            for attr, nested in re.findall(rf"(?<![\w.]){var}{_ATTRIBUTE_STEPS}", body):
                found.add(("", rtype, name, attr, nested))
        for chunk in re.split(r"\n(?=resource |data |output |locals )", text):
            for rtype, name in _FOR_EACH_RESOURCE.findall(chunk):
                for attr, nested in re.findall(rf"each\.value{_ATTRIBUTE_STEPS}", chunk):
                    found.add(("", rtype, name, attr, nested))
    return found


def reference_errors(module: Module, schema: dict) -> list[str]:
    declared = {(b.kind, b.type, b.name): b for b in module.blocks}
    errors = []
    for data, rtype, name, attr, nested in set(_REFERENCE.findall(module.text())) | _iteration_references(module):
        kind = "data" if data else "resource"
        block = declared.get((kind, rtype, name))
        if block is None:
            errors.append(f"{module.path.name}: reference to undeclared {kind} {rtype}.{name}")
            continue
        error = _attribute_error(f"{module.path.name}: {rtype}.{name}", _schema_of(block, schema), attr, nested)
        errors += [error] if error else []
    return errors


@pytest.mark.parametrize("name", sorted(modules()), ids=str)
def test_references_name_declared_blocks_and_real_attributes(name, schema):
    assert reference_errors(modules()[name], schema) == []


def test_reference_checker_rejects_unknown_attributes(schema, tmp_path):
    (tmp_path / "main.tf").write_text(
        'resource "google_service_account" "a" {\n  account_id = "abcdef"\n}\n'
        'output "x" {\n  value = [google_service_account.a.emial, google_service_account.b.email]\n}\n'
    )
    errors = reference_errors(load_module(tmp_path), schema)
    assert any("has no attribute 'emial'" in e for e in errors)
    assert any("undeclared resource google_service_account.b" in e for e in errors)
