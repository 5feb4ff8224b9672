"""Templates in rule action parameters: `{{ expression }}` blocks in the expression language.

A string that is one whole block keeps the value's type (``"{{ trigger.count }}"`` renders
to the integer); blocks inside a longer string render as text (`attune.domain.expressions`).

Secrets stay out of events: a block that reads ``keystore`` (``{{ keystore.db_password }}``,
``"Bearer {{ keystore.token }}"``) is *deferred*. `render` leaves it as written, so a key's
value never enters an event, and the worker replaces it with `render_keystore` only when it
hands the parameters to the action. Such a block may read ``keystore`` only (with literals
and functions): `check_templates` refuses one that mixes it with another namespace;
`reads_keystore` finds one where secrets have no place (a rule's criteria).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from attune.domain.errors import TemplateError
from attune.domain.expressions import (
    DEFAULT_LIMITS,
    Expression,
    ExpressionError,
    Limits,
    compile_template,
    render_value,
)

KEYSTORE = "keystore"


def _reads_keystore(block: Expression) -> bool:
    return KEYSTORE in block.roots()


def _reads_anything_else(block: Expression) -> bool:
    return not _reads_keystore(block)


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string of a JSON-like value with the place it sits (``host``, ``hosts[1]``)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")


def _at(place: str) -> str:
    return f"{place.removeprefix('.')}: " if place else ""


def check_templates(value: Any, where: str = "", limits: Limits = DEFAULT_LIMITS) -> None:
    """Compile every template in a JSON-like value, so a mistake is found when a rule is
    registered, not first when it fires; raise `TemplateError` naming the place (below
    `where`), the block and the position. A keystore block may read nothing else."""
    for place, text in _strings(value, where):
        try:
            blocks = compile_template(text, limits).blocks
        except ExpressionError as problem:
            raise TemplateError(f"{_at(place)}{problem}") from None
        for block in blocks:
            others = sorted(block.roots() - {KEYSTORE})
            if _reads_keystore(block) and others:
                raise TemplateError(
                    f"{_at(place)}'{block.text}' reads the keystore and {', '.join(others)}: "
                    "a block that reads the keystore is resolved by the worker, which knows "
                    "only the keystore; put the other values in a block of their own"
                )


def reads_keystore(value: Any) -> bool:
    """True if any string of a JSON-like value holds a keystore block."""
    return any(is_deferred(text) for _, text in _strings(value, ""))


def render(value: Any, context: Mapping[str, Any], limits: Limits = DEFAULT_LIMITS) -> Any:
    """Render every template in a JSON-like value (strings, lists, dicts), but keystore ones.

    Data may not smuggle in a keystore block: an event's payload holding
    ``{{ keystore.admin_password }}`` would otherwise be resolved by the worker like one the
    rule's author wrote. The rendered value must hold the very keystore blocks it was
    written with, or rendering fails.
    """
    rendered = render_value(value, context, limits=limits, keep=_reads_keystore)
    if _keystore_blocks(rendered) != _keystore_blocks(value):
        raise TemplateError(
            "a value it renders holds a keystore reference: only a rule's own text may "
            "refer to the keystore, never the data of an event"
        )
    return rendered


def _keystore_blocks(value: Any) -> list[str]:
    """The texts of the keystore blocks the worker would resolve in a value, sorted."""
    found = [
        block.text
        for _, text in _strings(value, "")
        if _may_hold_blocks(text)
        for block in _blocks_or_none(text)
        if _reads_keystore(block)
    ]
    return sorted(found)


def _blocks_or_none(text: str) -> tuple[Expression, ...]:
    """The blocks of a string, or none if it is not a template (the worker leaves it)."""
    try:
        return compile_template(text).blocks
    except ExpressionError:
        return ()


class _Keystore(Mapping[str, Any]):
    """The ``keystore`` namespace as the worker sees it: a key is fetched when read."""

    def __init__(self, fetch: Callable[[str], Any]) -> None:
        self._fetch = fetch

    def __getitem__(self, name: str) -> Any:
        return self._fetch(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str)  # the fetch says which keys are missing, and where

    def __iter__(self) -> Iterator[str]:
        raise TemplateError("the keystore cannot be listed in an expression")

    def __len__(self) -> int:
        raise TemplateError("the keystore cannot be listed in an expression")


def render_keystore(value: Any, fetch: Callable[[str], Any]) -> Any:
    """Render only the keystore blocks in a JSON-like value, reading keys with `fetch(name)`;
    text that is not a template is left as it is."""
    if isinstance(value, dict):
        return {key: render_keystore(item, fetch) for key, item in value.items()}
    if isinstance(value, list):
        return [render_keystore(item, fetch) for item in value]
    if not is_deferred(value):
        return value
    template = compile_template(value)
    return template.render({KEYSTORE: _Keystore(fetch)}, keep=_reads_anything_else)


def is_template(value: Any) -> bool:
    """True for a string holding at least one block (a value known once it renders)."""
    if not isinstance(value, str) or not _may_hold_blocks(value):
        return False
    return bool(_blocks_or_none(value))


def is_deferred(value: Any) -> bool:
    """True for a string holding a keystore block: its value is known only at run time."""
    if not isinstance(value, str) or not _may_hold_blocks(value):
        return False
    return any(_reads_keystore(block) for block in _blocks_or_none(value))


def _may_hold_blocks(text: str) -> bool:
    return "{{" in text or "<%" in text
