"""`attune key`: rotation on the local state directory; values given as JSON or text."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from attune.infra.cli.key import key, parse_value
from attune.infra.security.secret_box import open_keyring
from attune.infra.settings import Settings


def rotate(state_dir: Path) -> str:
    result = CliRunner().invoke(
        key, ["rotate", "--state-dir", str(state_dir)], obj={"settings": Settings(), "json": False}
    )
    assert result.exit_code == 0, result.output
    found = re.search(r"the key ([0-9a-f]{16}) is current", result.output)
    assert found, result.output
    return found.group(1)


def test_rotate_makes_a_new_key_current_and_keeps_old_values_readable(tmp_path: Path) -> None:
    box = open_keyring(tmp_path)
    before = box.seal("before")
    first, second = rotate(tmp_path), rotate(tmp_path)
    assert first != second and box.seal("after").startswith(f"{second}:")
    assert box.unseal(before) == "before"


def test_rotate_needs_an_existing_state_directory(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        key,
        ["rotate", "--state-dir", str(tmp_path / "nope")],
        obj={"settings": Settings(), "json": False},
    )
    assert result.exit_code != 0 and "no state directory at" in result.output


def test_a_value_is_json_when_it_parses_and_text_otherwise() -> None:
    assert parse_value("5432") == 5432
    assert parse_value('{"user": "app"}') == {"user": "app"}
    assert parse_value('"5432"') == "5432"
    assert parse_value("hunter2") == "hunter2"
