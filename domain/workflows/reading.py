"""The checks both definition formats share while reading a document: types, names,
templates and conditions, each problem noted with its path and reading carried on, so one
pass reports everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from attune.domain.expressions import (
    ExpressionError,
    Limits,
    compile_expression,
    compile_template,
)
from attune.domain.expressions.templates import Template
from attune.domain.workflows.model import MISSING, Condition, Transition
from attune.domain.workflows.problems import Path, Problem

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BLOCK_START = ("{{", "<%")
# A call of ctx() or item() with a bare name (not in quotes, not a path of one).
_YAQL_CALL = re.compile(r"\b(ctx|item)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)")


def is_template(text: str) -> bool:
    return any(start in text for start in _BLOCK_START)


class Reader:
    """Notes problems as a document is read."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.problems: list[Problem] = []

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(path, message))

    def known_fields(
        self, spec: dict[str, Any], fields: frozenset[str], path: Path, what: str
    ) -> None:
        """Note each key of `spec` that is not one of `fields` (`what` has them)."""
        for key in spec:
            if key not in fields:
                self.problem(
                    path + (key,), f"unknown field ({what} has {', '.join(sorted(fields))})"
                )

    def mapping(self, value: Any, path: Path, what: str = "a mapping") -> dict[str, Any]:
        """`value` if it is a mapping with string keys, else {} (and a problem)."""
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            self.problem(path, f"expected {what}, found {_kind(value)}")
            return {}
        return value

    def name(self, value: Any, path: Path, what: str) -> str | None:
        if not isinstance(value, str) or not NAME.match(value):
            self.problem(path, f"{what} must be a name (letters, digits, _), found {value!r}")
            return None
        return value

    def pairs(self, value: Any, path: Path, what: str) -> tuple[tuple[str, Any], ...]:
        """Named values written as a mapping or as a list of one-key mappings (or, for
        inputs, bare names), in order; their templates checked."""
        found: list[tuple[str, Any]] = []
        if value is None:
            return ()
        if isinstance(value, dict):
            entries: list[tuple[Path, Any, Any]] = [(path + (k,), k, v) for k, v in value.items()]
        elif isinstance(value, list):
            entries = []
            for i, entry in enumerate(value):
                if isinstance(entry, dict) and len(entry) == 1:
                    [(key, item)] = entry.items()
                    entries.append((path + (i,), key, item))
                elif isinstance(entry, str):
                    entries.append((path + (i,), entry, MISSING))  # a bare name
                else:
                    self.problem(path + (i,), f"expected one {what} (name: value)")
        else:
            self.problem(path, f"expected a list of {what}s, found {_kind(value)}")
            return ()
        seen: set[str] = set()
        for where, key, item in entries:
            if self.name(key, where, what) is None:
                continue
            if key in seen:
                self.problem(where, f"{what} '{key}' is given twice")
            seen.add(key)
            self.templates(item, where)
            found.append((key, item))
        return tuple(found)

    def templates(self, value: Any, path: Path) -> None:
        """Compile every template in a JSON-like value, noting the bad ones."""
        for where, text in _strings(value, path):
            if is_template(text):
                try:
                    compile_template(text, self.limits)
                except ExpressionError as error:
                    self.problem(where, f"bad expression: {error}")
                    continue
                self._yaql_calls(text, where)

    def _yaql_calls(self, text: str, path: Path) -> None:
        """`ctx(name)` and `item(name)` with a bare name are YAQL's; here the name would
        be read as a variable and its value passed: refuse them, pointing at them."""
        for found in _YAQL_CALL.finditer(text):
            line = text.count("\n", 0, found.start()) + 1
            column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
            function, name = found.group(1), found.group(2)
            self.problem(
                path,
                f"bad expression: {function}({name}) is YAQL syntax at {line}:{column}: write "
                f"{function}('{name}')" + (f" or ctx().{name}" if function == "ctx" else ""),
            )

    def condition(self, value: Any, path: Path) -> tuple[Condition | None, str | None]:
        """A `when`: a template (``{{ succeeded() }}``) or a bare expression
        (``succeeded()``)."""
        if value is None:
            return None, None
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, str) or not value.strip():
            self.problem(path, f"expected a condition (an expression), found {_kind(value)}")
            return None, None
        try:
            compiled: Condition = (
                compile_template(value, self.limits)
                if is_template(value)
                else compile_expression(value, self.limits)
            )
        except ExpressionError as error:
            self.problem(path, f"bad expression: {error}")
            return None, value
        self._yaql_calls(value, path)
        return compiled, value

    def transitions(self, value: Any, path: Path, fields: frozenset[str]) -> list[Transition]:
        """A `next`: its transitions (`when`, `publish`, `do`, and `label`, `color` where
        `fields` has them)."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, "expected a list of transitions")
            return []
        found = []
        for i, entry in enumerate(value):
            where = path + (i,)
            spec = self.mapping(entry, where, "a transition")
            self.known_fields(spec, fields, where, "a transition")
            when, text = self.condition(spec.get("when"), where + ("when",))
            found.append(
                Transition(
                    when=when,
                    when_text=text,
                    publish=self.pairs(spec.get("publish"), where + ("publish",), "variable"),
                    do=tuple(self.targets(spec.get("do"), where + ("do",))),
                    label=self.text(spec.get("label"), where + ("label",)),
                    color=self.text(spec.get("color"), where + ("color",)),
                )
            )
        return found

    def targets(self, value: Any, path: Path) -> list[str]:
        """A `do`: a list of names, or one string of names separated by commas."""
        if value is None:
            return []
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        self.problem(path, "expected a task name or a list of them")
        return []

    def text(self, value: Any, path: Path) -> str | None:
        if value is None or isinstance(value, str):
            return value
        self.problem(path, f"expected text, found {value!r}")
        return None

    def number_or_template(self, value: Any, path: Path, what: str) -> Any:
        """A non-negative number of seconds or items, or a template giving one."""
        if value is None:
            return None
        if isinstance(value, str) and is_template(value):
            self.templates(value, path)
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            self.problem(path, f"{what} must be a number >= 0 or an expression, found {value!r}")
            return None
        return value


def roots_of(value: Any, limits: Limits) -> set[str]:
    """The namespaces the templates of a JSON-like value read."""
    found: set[str] = set()
    for _, text in _strings(value, ()):
        if is_template(text):
            try:
                template: Template = compile_template(text, limits)
            except ExpressionError:
                continue  # (already a problem)
            for block in template.blocks:
                found |= block.roots()
    return found


def _strings(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + (str(key),))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, path + (i,))


def _kind(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)
