"""What is wrong with a workflow definition: every problem at once, each with its path.

A path is the keys and list indexes from the document's root to the offending value
(``tasks.fetch.next[0].do[1]``), so whoever read the file can name its line too.
"""

from __future__ import annotations

from dataclasses import dataclass

from attune.domain.errors import DomainError

Path = tuple[str | int, ...]


def shown(path: Path) -> str:
    """``tasks.fetch.next[0].do``: keys dotted, indexes in brackets."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{shown(self.path)}: {self.message}" if self.path else self.message


class InvalidWorkflow(DomainError):
    """A workflow definition with problems; `problems` lists all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))
