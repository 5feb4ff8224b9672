"""The event catalogue: stable names, documented, payloads JSON-serialisable."""

from __future__ import annotations

import re
from pathlib import Path

from attune.domain.catalogue import EVENT_TYPES, schema_version

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_docs_events_md_lists_exactly_the_events_the_code_defines() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", DOCS.read_text(), re.MULTILINE))
    assert documented == set(EVENT_TYPES)


def test_every_event_name_is_aggregate_dot_past_tense_and_version_1() -> None:
    for name, cls in EVENT_TYPES.items():
        aggregate, _, verb = name.partition(".")
        assert aggregate and verb.endswith("ed") or verb in {"timed_out", "lost"}, name
        assert schema_version(cls) == 1
