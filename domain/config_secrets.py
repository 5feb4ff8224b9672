"""Where a pack's secret configuration may go: only into a secret parameter, as its whole
value read as it is (``"{{ config.token }}"``), so it stays sealed in every event until
the worker opens it for the action. Rules' action parameters and actions' parameter
defaults are both checked with `misplaced_secrets` when they are registered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from attune.domain.definitions import PackDefinition
from attune.domain.expressions import ExpressionError, compile_template
from attune.domain.expressions.fields_read import fields_read, reads_one_field
from attune.domain.parameters import ParameterSpec
from attune.domain.templates import is_template

_PATHS = (("config",), ("pack", "config"))


def misplaced_secrets(
    values: Mapping[str, Any], schema: Mapping[str, ParameterSpec], pack: PackDefinition
) -> list[tuple[str, str]]:
    """(parameter, why) for each of `values` (templates, by parameter name) that would
    carry one of `pack`'s secret config values anywhere but as the whole value of a secret
    parameter of `schema`, read as it is."""
    secret = {name for name, spec in pack.config_schema.items() if spec.secret}
    if not secret:
        return []
    problems = []
    for name, value in values.items():
        spec = schema.get(name)
        for text, whole in _strings(value):
            read = _secret_fields_read(text, secret)
            as_it_is = whole and spec is not None and spec.secret and _one_field(text)
            if read and not as_it_is:
                field = sorted(read)[0]
                problems.append(
                    (
                        name,
                        f"reads the secret config field '{field}' of pack {pack.ref}: a secret "
                        f"value may go only into a secret parameter, as its whole value "
                        f"('{{{{ config.{field} }}}}')",
                    )
                )
                break
    return problems


def _strings(value: Any, whole: bool = True) -> Iterator[tuple[str, bool]]:
    """Every string of a JSON-like value, and whether it is a template that is the whole
    value (its rendering keeps the value's type: a sealed value stays sealed)."""
    if isinstance(value, str):
        try:
            yield value, whole and compile_template(value).is_whole()
        except ExpressionError:
            return  # (refused where the templates are checked)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, False)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, False)


def _one_field(text: str) -> bool:
    """The template is one block reading one config field as it is (it stays sealed)."""
    (block,) = compile_template(text).blocks
    return any(reads_one_field(block.text, path) for path in _PATHS)


def _secret_fields_read(text: str, secret: set[str]) -> set[str]:
    if not is_template(text):
        return set()
    read: set[str] = set()
    for block in compile_template(text).blocks:
        for path in _PATHS:
            fields = fields_read(block.text, path)
            read |= secret if fields is None else secret & fields
    return read
