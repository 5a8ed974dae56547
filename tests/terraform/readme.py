"""Renders the Inputs and Outputs tables of each module README from its .tf files, like terraform-docs.

`python -m tests.terraform.readme` rewrites the generated section of every module README;
test_module_wiring checks they are up to date.
"""
from __future__ import annotations

import json
import re
import sys

from .hcl import Module, modules, value

BEGIN = "<!-- BEGIN GENERATED: python -m tests.terraform.readme -->"
END = "<!-- END GENERATED -->"


def _raw_type(module: Module, name: str) -> str:
    """The type expression as written (balanced brackets), on one line."""
    for file in module.path.glob("*.tf"):
        text = file.read_text()
        start = text.find(f'variable "{name}" {{')
        if start < 0:
            continue
        at = text.index("type", start)
        at = text.index("=", at) + 1
        depth, end = 0, at
        while end < len(text):
            ch = text[end]
            if ch in "({[":
                depth += 1
            elif ch in ")}]":
                depth -= 1
            elif ch == "\n" and depth == 0 and text[at:end].strip():
                break
            end += 1
        return re.sub(r"\s+", " ", text[at:end]).strip()
    raise KeyError(name)


def _cell(text: str) -> str:
    return text.replace('\\"', '"').replace("|", "\\|").replace("\n", " ").strip()


def _default(body: dict) -> str:
    if "default" not in body:
        return "required"
    default = value(body["default"])
    return f"`{json.dumps(default)}`" if default is not None else "`null`"


def render(module: Module) -> str:
    rows = ["## Inputs", "", "| Name | Description | Type | Default |", "| --- | --- | --- | --- |"]
    for name, body in sorted(module.variables.items()):
        rows.append(f"| `{name}` | {_cell(value(body['description']))} | `{_cell(_raw_type(module, name))}` | {_default(body)} |")
    rows += ["", "## Outputs", "", "| Name | Description |", "| --- | --- |"]
    rows += [f"| `{name}` | {_cell(value(body['description']))} |" for name, body in sorted(module.outputs.items())]
    return "\n".join([BEGIN, *rows, END])


def updated(readme: str, module: Module) -> str:
    generated = render(module)
    if BEGIN in readme:
        return readme[: readme.index(BEGIN)] + generated + readme[readme.index(END) + len(END):]
    return readme.rstrip("\n") + "\n\n" + generated + "\n"


def main() -> int:
    for name, module in modules().items():
        if not name.startswith("modules/"):
            continue
        path = module.path / "README.md"
        current = path.read_text() if path.exists() else f"# {module.path.name}\n"
        path.write_text(updated(current, module))
    return 0


if __name__ == "__main__":
    sys.exit(main())
