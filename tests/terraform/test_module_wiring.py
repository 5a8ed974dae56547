"""What `terraform validate` would check about wiring, without providers: every name a module refers to
is declared, every module call passes existing and required inputs, and reads existing outputs."""
from __future__ import annotations

import re

import pytest

from .hcl import TERRAFORM, Module, modules, references, value
from .readme import BEGIN, updated

ALL = sorted(modules())


def _called(module: Module, call: dict) -> Module:
    source = (module.path / value(call["source"])).resolve()
    return modules()[str(source.relative_to(TERRAFORM))]


@pytest.mark.parametrize("name", ALL)
def test_every_referenced_variable_and_local_is_declared(name):
    module = modules()[name]
    text = module.text()
    assert references(text, "var") - set(module.variables) == set()
    assert references(text, "local") - set(module.locals) == set()


@pytest.mark.parametrize("name", ALL)
def test_every_declared_variable_and_local_is_used(name):
    module = modules()[name]
    text = module.text()
    assert set(module.variables) - references(text, "var") == set()
    assert set(module.locals) - references(text, "local") == set()


@pytest.mark.parametrize("name", [n for n in ALL if modules()[n].module_calls])
def test_module_calls_pass_declared_and_required_inputs(name):
    module = modules()[name]
    for call_name, call in module.module_calls.items():
        called = _called(module, call)
        passed = {k for k in call if k not in ("source", "count", "for_each", "depends_on", "providers", "__start_line__", "__end_line__")}
        assert passed - set(called.variables) == set(), f"{call_name} passes unknown inputs"
        required = {v for v, body in called.variables.items() if "default" not in body}
        assert required - passed == set(), f"{call_name} misses required inputs"


@pytest.mark.parametrize("name", [n for n in ALL if modules()[n].module_calls])
def test_module_outputs_read_exist(name):
    module = modules()[name]
    for call_name, output in re.findall(r"module\.(\w+)(?:\[\d+\]|\[\*\])?\.(\w+)", module.text()):
        called = _called(module, module.module_calls[call_name])
        assert output in called.outputs, f"module.{call_name} has no output {output}"


@pytest.mark.parametrize("name", [n for n in ALL if n.startswith("modules/")])
def test_module_readme_lists_its_current_inputs_and_outputs(name):
    module = modules()[name]
    readme = (module.path / "README.md").read_text()
    assert readme == updated(readme, module), "run: python -m tests.terraform.readme"
    assert len(readme.split(BEGIN)[0].strip().splitlines()) > 2, "README needs an introduction above the tables"


@pytest.mark.parametrize("name", [n for n in ALL if n.startswith("modules/")])
def test_variables_have_descriptions_and_types(name):
    module = modules()[name]
    assert [v for v, body in module.variables.items() if "description" not in body or "type" not in body] == []
    assert [o for o, body in module.outputs.items() if "description" not in body] == []


@pytest.mark.parametrize("name", [n for n in ALL if n.startswith("modules/")])
def test_google_provider_is_pinned(name):
    module = modules()[name]
    text = (module.path / "versions.tf").read_text()
    assert "required_version" in text
    uses_google = any(b.type.startswith("google_") for b in module.blocks) or bool(module.module_calls)
    if uses_google:
        assert re.search(r'google = \{\s*source\s*= "hashicorp/google"\s*version\s*= ">= 6\.50\.0, < 7\.0\.0"', text)


def test_one_file_per_resource_kind():
    for name in ALL:
        kinds_by_file: dict[str, set[str]] = {}
        for block in modules()[name].blocks:
            if block.kind == "resource":
                kinds_by_file.setdefault(block.file.name, set()).add(block.type)
        assert {f: k for f, k in kinds_by_file.items() if len(k) > 1} == {}, name
        misnamed = {f: k for f, k in kinds_by_file.items() if f != f"{next(iter(k)).removeprefix('google_')}.tf"}
        assert misnamed == {}, name
