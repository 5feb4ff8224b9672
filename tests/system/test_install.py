"""The wheel installs into a fresh venv and its `attune` command runs."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_installs_in_a_fresh_venv_with_its_packs(tmp_path: Path) -> None:
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
