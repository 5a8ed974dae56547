"""`terraform validate` offline: the real Terraform binary, with the google and archive providers replaced by
a schema-only plugin (tests/terraform/schema_provider) that serves their real schemas.

The plugin is built with `go build` (dependencies from the Go module proxy) into ~/.cache, and installed
into a filesystem mirror at the provider addresses and versions the modules pin, so `terraform init` finds
it without any registry. Validation runs on a copy of terraform/ beside links to bridge/ and functions/,
so the repository gets no .terraform folder or lock file.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from .hcl import REPO, TERRAFORM
from .provider_schema import ARCHIVE_SCHEMA, ARCHIVE_VERSION, PROVIDER_VERSION, load_schema, stub_schema
from .terraform_cli import run

SOURCE = Path(__file__).resolve().parent / "schema_provider"
BIN_DIR = Path.home() / ".cache" / "gcp-log-bridge" / "bin"
PLATFORM = "linux_amd64"


def build_schema_provider() -> Path:
    digest = hashlib.sha256(b"".join((SOURCE / n).read_bytes() for n in ("main.go", "go.mod", "go.sum"))).hexdigest()[:12]
    binary = BIN_DIR / f"terraform-provider-schema-{digest}"
    if not binary.exists():
        BIN_DIR.mkdir(parents=True, exist_ok=True)
        go = shutil.which("go") or "/usr/local/go/bin/go"
        env = {**os.environ, "GOFLAGS": "-buildvcs=false"}  # no VCS stamp: the source sits inside this repository
        partial = binary.with_name(f"{binary.name}.{os.getpid()}")  # renamed when complete: parallel runs never see half a file
        build = subprocess.run([go, "build", "-o", str(partial), "."], cwd=SOURCE, env=env, capture_output=True, text=True, timeout=900)
        if build.returncode != 0:
            raise RuntimeError(f"building the schema provider failed:\n{build.stderr}")
        os.replace(partial, binary)
    return binary


def install_mirror(root: Path) -> Path:
    """A filesystem mirror holding the plugin as hashicorp/google and hashicorp/archive; returns the CLI config."""
    binary = build_schema_provider()
    for name, version, schema in [("google", PROVIDER_VERSION, stub_schema(load_schema())),
                                  ("archive", ARCHIVE_VERSION, stub_schema(ARCHIVE_SCHEMA))]:
        target = root / "mirror" / "registry.terraform.io" / "hashicorp" / name / version / PLATFORM
        target.mkdir(parents=True)
        shutil.copy(binary, target / f"terraform-provider-{name}_v{version}")
        (target / "schema.json").write_text(json.dumps(schema))
    config = root / "terraformrc"
    config.write_text(
        'provider_installation {\n  filesystem_mirror {\n'
        f'    path    = "{root / "mirror"}"\n'
        '    include = ["registry.terraform.io/hashicorp/google", "registry.terraform.io/hashicorp/archive"]\n'
        "  }\n}\n"
    )
    return config


def stage_repository(root: Path) -> Path:
    """terraform/ copied under root, with bridge/ and functions/ linked beside it; returns the copy."""
    copy = root / "terraform"
    shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"))
    for name in ("bridge", "functions"):
        (root / name).symlink_to(REPO / name)
    return copy


def validate(folder: Path, cli_config: Path) -> dict:
    """init from the mirror, then `terraform validate -json` of one root module."""
    env = {"TF_CLI_CONFIG_FILE": str(cli_config)}
    init = run(["init", "-input=false", "-backend=false", "-no-color"], folder, env)
    if init.returncode != 0:
        raise RuntimeError(f"terraform init failed in {folder}:\n{init.stdout}\n{init.stderr}")
    return json.loads(run(["validate", "-json", "-no-color"], folder, env).stdout)
