"""The conformance suite, run through the rehearsal entry point: rehearsal files in
Orquesta's format. Those in `rehearsals/` were each checked against Orquesta 1.6.0's own
rehearsal before they were copied here (where Attune chooses to differ, the file says so
and why); those in `rehearsals/attune/` rehearse workflows in Attune's own format, their
expectations written by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from attune.infra.rehearsal_files import rehearse_file

SUITE = Path(__file__).parent / "rehearsals"
SPECS = sorted([*SUITE.glob("*.yaml"), *SUITE.glob("attune/*.yaml")])


def test_the_suite_covers_what_the_engine_must_get_right() -> None:
    assert len(SPECS) >= 40
    categories = " ".join(p.read_text().split("\n", 3)[1] for p in SPECS)
    for category in (
        "sequence",
        "parallel",
        "decision",
        "join all",
        "join N",
        "never",
        "split",
        "loop",
        "noop",
        "continue",
        "fail",
        "retry",
        "with-items",
        "delay",
        "publish",
        "output",
        "render error",
        "subworkflow",
    ):
        assert category.lower() in categories.lower(), category


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_rehearsal(spec: Path) -> None:
    outcome = rehearse_file(spec)
    assert outcome.passed, "\n".join(outcome.differences)
