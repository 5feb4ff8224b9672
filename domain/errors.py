"""Typed domain errors. The API maps each to a clear 4xx; processors log and skip them."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every rule the domain refuses to break."""


class IllegalTransition(DomainError):
    """An aggregate was asked to move to a state its state machine forbids."""

    def __init__(self, entity: str, entity_id: object, current: str, requested: str) -> None:
        self.entity, self.entity_id = entity, entity_id
        self.current, self.requested = current, requested
        super().__init__(f"{entity} {entity_id} cannot go from '{current}' to '{requested}'")


class AlreadyClaimed(DomainError):
    """A second worker tried to claim an execution another worker holds."""

    def __init__(self, execution_id: object, holder: str, claimant: str) -> None:
        self.execution_id, self.holder, self.claimant = execution_id, holder, claimant
        super().__init__(f"execution {execution_id} is already claimed by {holder}, not {claimant}")


class NotTheHolder(DomainError):
    """A worker reported the end of a run it does not hold."""

    def __init__(self, execution_id: object, holder: str | None, reporter: str) -> None:
        self.execution_id, self.holder, self.reporter = execution_id, holder, reporter
        held = f"held by {holder}" if holder else "not claimed"
        super().__init__(f"execution {execution_id} is {held}; {reporter} cannot end it")


class AlreadyEnded(DomainError):
    """A run that has ended was asked to stop (a cancel of a finished run)."""

    def __init__(self, execution_id: object, status: str) -> None:
        self.execution_id, self.status = execution_id, status
        super().__init__(f"execution {execution_id} has already ended: it is {status}")


class LastAdmin(DomainError):
    """A change would leave no enabled identity with the `admin` role: nobody could manage
    identities any more, not even to undo it."""

    def __init__(self, login: str) -> None:
        self.login = login
        super().__init__(
            f"'{login}' is the last enabled identity with the admin role; "
            "give another identity the admin role first"
        )


@dataclass(frozen=True)
class ParameterProblem:
    """One problem with one parameter: which parameter, and what is wrong with it."""

    parameter: str
    message: str

    def __str__(self) -> str:
        return f"{self.parameter}: {self.message}"


class InvalidParameters(DomainError):
    """Parameters do not satisfy an action's (or trigger's) parameter schema."""

    def __init__(self, owner: str, problems: list[ParameterProblem]) -> None:
        self.owner, self.problems = owner, problems
        super().__init__(f"invalid parameters for {owner}: " + "; ".join(map(str, problems)))


class InvalidDefinition(DomainError):
    """A pack component (action, rule, trigger type) is not well formed."""

    def __init__(self, what: str, field: str, message: str) -> None:
        self.what, self.field = what, field
        super().__init__(f"{what}: field '{field}': {message}")


class TemplateError(DomainError):
    """A `{{ ... }}` template could not be rendered against its context."""
