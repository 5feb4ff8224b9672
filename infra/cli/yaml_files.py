"""YAML files the command line sends to the API (a rule, a payload, a pack's values): a
mapping, read as the JSON the API takes (YAML's dates and times as strings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml


def read_mapping(path: Path, holds: str, param_hint: str | None = None) -> dict[str, Any]:
    """The mapping `path` holds (`holds` says what it should be, for the error). A file
    that cannot be read or holds no mapping is a usage error of `param_hint` if given,
    else a plain error."""

    def refused(message: str) -> click.ClickException:
        if param_hint is None:
            return click.ClickException(message)
        return click.BadParameter(message, param_hint=param_hint)

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as problem:
        raise refused(f"cannot read {path}: {problem}") from None
    if not isinstance(data, dict):
        raise refused(f"{path} does not hold {holds}")
    return json.loads(json.dumps(data, default=str))  # type: ignore[no-any-return]
