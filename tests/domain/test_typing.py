"""The domain stays mypy --strict clean (checked through an `attune.domain` view of the tree)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_domain_is_mypy_strict_clean(tmp_path: Path) -> None:
    # The folders map onto `attune.*` only when installed; give mypy the same view.
    (tmp_path / "attune").mkdir()
    (tmp_path / "attune" / "domain").symlink_to(ROOT / "domain")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--ignore-missing-imports",
            "--explicit-package-bases",
            "--no-incremental",
            "-p",
            "attune.domain",
        ],
        cwd=tmp_path,
        env={"MYPYPATH": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
