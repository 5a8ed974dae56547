"""Runs the real Terraform binary offline on copies of a module's provider-free files.

Variable validation, locals and outputs need no provider, so a folder holding only variables.tf (and
locals.tf) can be initialised, planned and applied without any network: Terraform itself evaluates
each validation rule and expression on the values we pass.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from .hcl import REPO

TERRAFORM_BIN = shutil.which("terraform") or "/usr/local/bin/terraform"


@lru_cache(maxsize=1)
def _env() -> dict[str, str]:
    rc = Path(tempfile.mkdtemp(prefix="tfrc-")) / "empty.tfrc"
    rc.touch()
    # No update check, no CLI configuration of the machine: nothing leaves the host.
    return {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    if not Path(TERRAFORM_BIN).exists():
        raise RuntimeError("terraform binary not found: install Terraform >= 1.5 (make terraform-check expects it)")
    return subprocess.run([TERRAFORM_BIN, *args], cwd=cwd, env={**_env(), **(env or {})}, capture_output=True, text=True, timeout=300)


class StagedModule:
    """Some files of a module (no resources, so no provider), initialised once, planned or applied with any values.

    The copy sits at the same depth below a folder whose `bridge` links to the repository's, so paths
    like "${path.module}/../../../bridge/schema" resolve to the very files the bridge reads.
    """

    def __init__(self, module_dir: Path, workdir: Path, files: tuple[str, ...] = ("variables.tf",), extra: str = "") -> None:
        self.dir = workdir / module_dir.relative_to(REPO)
        self.dir.mkdir(parents=True)
        if not (workdir / "bridge").exists():
            (workdir / "bridge").symlink_to(REPO / "bridge")
        for name in files:
            shutil.copy(module_dir / name, self.dir / name)
        (self.dir / "staged_extra.tf").write_text(extra)
        self._plans: dict[str, list[dict]] = {}  # the same values always give the same diagnostics
        init = run(["init", "-input=false", "-no-color"], self.dir)
        if init.returncode != 0:
            raise RuntimeError(f"terraform init failed in {self.dir}:\n{init.stdout}\n{init.stderr}")

    def _values(self, values: dict | Path) -> str:
        if isinstance(values, Path):
            shutil.copy(values, self.dir / "values.tfvars")
            return "-var-file=values.tfvars"
        (self.dir / "values.tfvars.json").write_text(json.dumps(values))
        return "-var-file=values.tfvars.json"

    def plan(self, values: dict | Path) -> list[dict]:
        """Error diagnostics of a plan with these variable values ([] when every value is valid)."""
        key = str(values) if isinstance(values, Path) else json.dumps(values, sort_keys=True)
        if key not in self._plans:
            self._plans[key] = self._plan(values)
        return self._plans[key]

    def _plan(self, values: dict | Path) -> list[dict]:
        plan = run(["plan", "-input=false", "-lock=false", "-json", self._values(values)], self.dir)
        errors = [d["diagnostic"] for d in map(json.loads, plan.stdout.splitlines())
                  if d.get("type") == "diagnostic" and d["diagnostic"]["severity"] == "error"]
        if plan.returncode != 0 and not errors:
            raise RuntimeError(f"terraform plan failed without diagnostics:\n{plan.stdout}\n{plan.stderr}")
        return errors

    def outputs(self, values: dict) -> dict:
        """Output values after applying (there are no resources: this only evaluates expressions)."""
        apply = run(["apply", "-input=false", "-lock=false", "-auto-approve", "-no-color", self._values(values)], self.dir)
        if apply.returncode != 0:
            raise RuntimeError(f"terraform apply failed:\n{apply.stdout}\n{apply.stderr}")
        shown = run(["output", "-json"], self.dir)
        return {name: out["value"] for name, out in json.loads(shown.stdout).items()}
