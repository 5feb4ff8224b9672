"""Rule criteria: which trigger events a rule matches, with StackStorm's operators.

Criteria map a key to a condition; all of them must hold::

    criteria:
      trigger.severity: {type: equals, pattern: critical}
      trigger.count:    {type: gt, pattern: "{{ trigger.limit }}"}
      trigger.count#2:  {type: lessthan, pattern: 100}
      trigger.fields:
        type: search
        condition: any          # any | all | any2any | all2any
        pattern:                # child criteria over each item of the list
          item.name: {type: equals, pattern: Status}
          item.value: {type: equals, pattern: Approved}

- A key is a path into the scope (`paths`): dots, ``[0]``, ``[-1]``, quoted names
  (``trigger."a.b"``), and a ``#suffix`` that lets one field be tested twice. The caller's
  scope gives the roots: ``trigger`` (the payload) and ``event`` (so ``event.payload.x``
  reads what ``trigger.x`` reads). A scope with ``event`` but no ``trigger`` is given
  ``trigger = event.payload``.
- The operators are StackStorm's (`operators`), names case-insensitive, aliases included.
  A missing path is `MISSING` for `read_path` and `explain`, and ``None`` to the operators,
  as in StackStorm: ``exists`` is false for a null too, ``nequals`` and ``ninside`` hold
  for a missing field.
- A pattern may hold templates of the expression language (strings with ``{{ }}``, at any
  depth of a list or an object); they render against the same scope, keeping their type
  (``"{{ trigger.limit }}"`` is an integer), each time the criteria are evaluated. A
  search's child patterns also read ``item``.
- The time operators (``timediff_lt``, ``timediff_gt``) compare the seconds from the date
  at the path to `now`, which the caller gives (the rule engine: the trigger event's time):
  nothing here reads the clock.

`check_criteria` refuses, at registration, what could never be evaluated: an unknown
operator, a bad path, a bad regular expression, a template that does not compile, a
keystore read, a search without its condition. `matches` answers for one event, and a
`CriteriaSet` for many rules' criteria at once;
`explain` details every criterion for the rule tester; `equality_keys` gives what the rule
engine can index rules by.
"""

from __future__ import annotations

from attune.domain.criteria.engine import (
    SEARCH_CONDITIONS,
    Condition,
    CriteriaSet,
    CriterionOutcome,
    check_criteria,
    equality_keys,
    explain,
    index_key,
    matches,
)
from attune.domain.criteria.operators import ALIASES, SPECS, Test
from attune.domain.criteria.paths import MISSING, PathError, is_missing, read_path

# Canonical operator name -> its test, ``test(value, prepared_pattern, evaluation)``.
OPERATORS: dict[str, Test] = {name: spec.test for name, spec in SPECS.items()}

__all__ = [
    "ALIASES",
    "MISSING",
    "OPERATORS",
    "SEARCH_CONDITIONS",
    "Condition",
    "CriteriaSet",
    "CriterionOutcome",
    "PathError",
    "check_criteria",
    "equality_keys",
    "explain",
    "index_key",
    "is_missing",
    "matches",
    "read_path",
]
