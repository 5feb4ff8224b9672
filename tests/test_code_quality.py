"""The tree stays lint-clean, formatted and typed: ruff over everything, mypy --strict on the
domain and mypy over the other packages and the tests (checked through an `attune.*` view
of the tree).
CI fails on a regression, not a reviewer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("domain", "commands", "streams", "projections", "api", "infra")


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_ruff_finds_nothing_and_the_tree_is_formatted() -> None:
    run("ruff", "check", ".")
    run("ruff", "format", "--check", ".")


@pytest.fixture(scope="module")
def attune_view(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folders as the `attune.*` packages they are installed as, for mypy."""
    view = tmp_path_factory.mktemp("view")
    (view / "attune").mkdir()
    for package in PACKAGES:
        (view / "attune" / package).symlink_to(ROOT / package)
    return view


def mypy(view: Path, *args: str) -> str:
    return run(
        "mypy",
        "--ignore-missing-imports",
        "--explicit-package-bases",
        "--no-incremental",
        "--config-file",
        str(view / "none.ini"),  # not pyproject's strict setting: strict is for the domain
        *args,
        cwd=view,
        env={"MYPYPATH": str(view), "PATH": ""},
    )


@pytest.mark.slow
def test_the_domain_is_mypy_strict_clean(attune_view: Path) -> None:
    (attune_view / "none.ini").write_text("[mypy]\n")
    mypy(attune_view, "--strict", "-p", "attune.domain")


@pytest.mark.slow
def test_the_other_packages_are_mypy_clean(attune_view: Path) -> None:
    (attune_view / "none.ini").write_text("[mypy]\n")
    others = [arg for package in PACKAGES[1:] for arg in ("-p", f"attune.{package}")]
    mypy(attune_view, *others)


@pytest.mark.slow
def test_the_tests_are_mypy_clean(attune_view: Path) -> None:
    (attune_view / "none.ini").write_text("[mypy]\n")
    (attune_view / "tests").symlink_to(ROOT / "tests")
    mypy(attune_view, "tests")


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    """pyproject lists the packages by hand (the folders map onto `attune.*`): a new
    subpackage left out would be missing from the wheel, and only an install would tell."""
    import tomllib

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        ".".join([package, *init.parent.relative_to(ROOT / folder).parts])
        for package, folder in setuptools["package-dir"].items()
        for init in (ROOT / folder).rglob("__init__.py")
    }
    assert found - set(setuptools["packages"]) == set()
