"""The wheel installs into a fresh venv and its `attune` command runs."""

from __future__ import annotations

import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import Any

import pytest

from tests.system.harness import AttuneUp, wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_from_the_wheel_in_a_fresh_venv_and_an_empty_directory_hello_world_runs(
    tmp_path: Path,
) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    [wheel] = (tmp_path / "dist").glob("attune-*.whl")
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=600)

    help_text = subprocess.run(
        [tmp_path / "venv" / "bin" / "attune", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "up" in help_text and "run" in help_text and "replay" in help_text
    shipped = subprocess.run(
        [
            python,
            "-c",
            "from attune.infra.pack_loader import shipped_packs_root as r;"
            "print(sorted(p.name for p in r().iterdir() if (p / 'pack.yaml').exists()))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert shipped.strip() == "['core', 'examples']"

    # Acceptance 1: `attune up` in an empty directory runs the hello-world rule within 15 s.
    empty = tmp_path / "empty"
    started = time.monotonic()
    attune = AttuneUp(empty, attune=str(tmp_path / "venv" / "bin" / "attune")).start()
    try:
        with attune.client() as api:

            def hello() -> list[dict[str, Any]]:
                page = api.get("/api/v1/executions", params={"status": "succeeded"}).json()
                return [e for e in page["items"] if e["rule"] == "examples.hello_world"]

            [execution, *_] = wait_until(hello, timeout=15 - (time.monotonic() - started))
            assert execution["result"]["stdout"] == "hello, world"
            history = api.get(f"/api/v1/executions/{execution['id']}/history").json()
            assert [h["status"] for h in history] == [
                "requested",
                "scheduled",
                "running",
                "succeeded",
            ]
    finally:
        attune.stop()
    assert (empty / ".attune" / "events.db").exists()
    assert (empty / ".attune" / "secret.key").stat().st_mode & 0o777 == 0o600
