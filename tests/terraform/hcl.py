"""Reads every Terraform file of the repository into plain Python structures.

Parsing uses the HCL2 parser checkov itself uses (the ``hcl2`` module of bc-python-hcl2): in its output
every attribute is a one-element list and every expression a ``${...}`` string.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import hcl2

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
META_ARGUMENTS = frozenset({"count", "for_each", "depends_on", "lifecycle", "provider", "provisioner", "connection"})
_PARSER_KEYS = frozenset({"__start_line__", "__end_line__"})


@dataclass(frozen=True)
class Block:
    kind: str  # resource or data
    type: str
    name: str
    body: dict
    file: Path

    @property
    def address(self) -> str:
        folder = self.file.parent
        where = folder.relative_to(TERRAFORM) if folder.is_relative_to(TERRAFORM) else folder.name
        return f"{where}:{self.type}.{self.name}"


@dataclass
class Module:
    path: Path
    blocks: list[Block] = field(default_factory=list)
    variables: dict[str, dict] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    locals: dict[str, object] = field(default_factory=dict)
    module_calls: dict[str, dict] = field(default_factory=dict)
    terraform: list[dict] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.path.glob("*.tf")))


def parse_file(path: Path) -> dict:
    with path.open() as handle:
        return hcl2.load(handle)


def tf_files() -> list[Path]:
    return sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)


def load_module(path: Path) -> Module:
    module = Module(path)
    for file in sorted(path.glob("*.tf")):
        doc = parse_file(file)
        for kind in ("resource", "data"):
            for entry in doc.get(kind, []):
                for rtype, named in entry.items():
                    for name, body in named.items():
                        module.blocks.append(Block(kind, rtype, name, body, file))
        for entry in doc.get("variable", []):
            module.variables.update(entry)
        for entry in doc.get("output", []):
            module.outputs.update(entry)
        for entry in doc.get("locals", []):
            module.locals.update({k: v for k, v in entry.items() if k not in _PARSER_KEYS})
        for entry in doc.get("module", []):
            module.module_calls.update(entry)
        module.terraform.extend(doc.get("terraform", []))
    return module


@lru_cache(maxsize=None)
def modules() -> dict[str, Module]:
    """Every folder holding .tf files, keyed by its path under terraform/ (e.g. modules/pubsub)."""
    folders = sorted({p.parent for p in tf_files()})
    return {str(f.relative_to(TERRAFORM)): load_module(f) for f in folders}


def value(attribute):
    """The single value of a parsed attribute (the parser wraps each one in a list)."""
    return attribute[0] if isinstance(attribute, list) and len(attribute) == 1 else attribute


def references(text: str, prefix: str) -> set[str]:
    """Names referenced as prefix.NAME (var., local., module.) in HCL source."""
    return set(re.findall(rf"(?<![\w.]){re.escape(prefix)}\.([A-Za-z_][\w-]*)", text))
