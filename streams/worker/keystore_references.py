"""Keystore references in action parameters, resolved when the worker hands them over.

A parameter may refer to a key (``"{{ keystore.db_password }}"``, alone or inside a longer
string). Rules and events carry the reference, never the value; the worker resolves it
just before it writes the parameters to the action's stdin. A key is searched for in the
scopes of the run, first match wins: the requester's user keys, then the keys of the
action's pack, then system keys (`search_order`; docs/keystore.md). A reference that is the
whole value takes the key's JSON type, which must then suit the parameter's declared type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attune.commands.keystore import open_value
from attune.commands.ports import Unsealer
from attune.domain.definitions import ActionDefinition
from attune.domain.keystore import KeyScope
from attune.domain.parameters import validate_parameters
from attune.domain.templates import is_deferred, render_keystore

Lookup = Callable[[str], Any]
# (name, scope, owner) -> the live key's stored row (`value`, `encrypted`), or None.
KeyFinder = Callable[[str, KeyScope, str | None], dict[str, Any] | None]


class KeyNotFound(LookupError):
    def __init__(self, name: str, searched: list[tuple[KeyScope, str | None]]) -> None:
        self.name = name
        places = ", ".join(f"{scope} '{owner}'" if owner else scope for scope, owner in searched)
        super().__init__(f"no key '{name}' in the keystore (searched: {places})")


def search_order(requester: str | None, pack: str) -> list[tuple[KeyScope, str | None]]:
    """Where a run's references are looked up, first match wins: (scope, owner) pairs."""
    user = [(KeyScope.USER, requester)] if requester else []
    return [*user, (KeyScope.PACK, pack), (KeyScope.SYSTEM, None)]


def keystore_lookup(find: KeyFinder, secrets: Unsealer, requester: str | None, pack: str) -> Lookup:
    """A lookup of key names for one run, opening encrypted values."""
    places = search_order(requester, pack)

    def lookup(name: str) -> Any:
        for scope, owner in places:
            found = find(name, scope, owner)
            if found is not None:
                return open_value(found["value"], found["encrypted"], secrets)
        raise KeyNotFound(name, places)

    return lookup


def resolve_keystore(
    action: ActionDefinition, parameters: dict[str, Any], lookup: Lookup
) -> dict[str, Any]:
    """The parameters with every keystore reference replaced by its key's value.

    Raises `KeyNotFound` for a missing key, `InvalidParameters` when a resolved value does
    not suit its parameter's type (both name what is wrong).
    """
    resolved = {name: render_keystore(value, lookup) for name, value in parameters.items()}
    deferred = {name for name, value in parameters.items() if is_deferred(value)}
    schema = {name: spec for name, spec in action.parameters.items() if name in deferred}
    validate_parameters(action.ref, schema, {name: resolved[name] for name in schema})
    return resolved
