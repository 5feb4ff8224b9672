"""Which pack directories a start loads: the shipped ones, then one's own, each pack once."""

from __future__ import annotations

from pathlib import Path

import pytest

from attune.infra.bootstrap import pack_directories
from attune.infra.pack_loader import load_packs, shipped_packs_root
from attune.infra.settings import Settings


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory like a checkout in an editable install: its ./packs is the shipped root."""
    (tmp_path / "packs").symlink_to(shipped_packs_root(), target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_checkout_whose_packs_folder_is_the_shipped_one_loads_without_problems(
    checkout: Path,
) -> None:
    loaded, problems = load_packs(pack_directories(Settings()))

    assert [str(p) for p in problems] == []
    assert sorted(p.pack.ref for p in loaded) == ["core", "examples"]


def test_no_examples_leaves_them_out_even_when_packs_is_the_shipped_root(checkout: Path) -> None:
    loaded, problems = load_packs(pack_directories(Settings(examples=False)))

    assert problems == []
    assert [p.pack.ref for p in loaded] == ["core"]


def test_a_pack_of_ones_own_named_core_is_still_a_duplicate(checkout: Path, tmp_path: Path) -> None:
    own = tmp_path / "mine" / "core"
    own.mkdir(parents=True)
    (own / "pack.yaml").write_text("ref: core\n")

    _, problems = load_packs(pack_directories(Settings(packs=[Path("packs"), Path("mine")])))

    assert [str(p) for p in problems] == [
        f"mine/core/pack.yaml:1: duplicate pack ref 'core' "
        f"(already loaded from {shipped_packs_root() / 'core'})"
    ]
