"""The language as authors write it: literals, every operator and precedence level, the
type rules (no coercion, integer preservation, deep equality, truthiness) and the names
(namespaces, aliases, the workflow fallback, lazy namespaces)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from attune.domain.expressions import (
    ExpressionError,
    ExpressionTypeError,
    ExpressionValueError,
    UndefinedName,
    compile_expression,
)

SCOPE: dict[str, Any] = {
    "trigger": {
        "count": 5,
        "level": "high",
        "host": "web1",
        "items": [10, 20, 30],
        "data": {"k": 1, "nested": {"deep": [1, {"x": "y"}]}, "0": "zero"},
        "nothing": None,
        "ratio": 0.5,
    },
    "workflow": {"counter": 3, "name": "wf", "roles": ["admin", "ops"]},
    "parameters": {"first": "Ada", "last": "Lovelace", "x": 21},
    "task": {"fetch": {"result": {"data": [1, 2]}}},
}


def value(text: str, scope: Mapping[str, Any] = SCOPE) -> Any:
    return compile_expression(text).evaluate(scope)


def failure(text: str, scope: Mapping[str, Any] = SCOPE) -> ExpressionError:
    with pytest.raises(ExpressionError) as raised:
        value(text, scope)
    return raised.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        ("-7", -7),
        ("2.5", 2.5),
        ("1e3", 1000.0),
        ("1.5e-3", 0.0015),
        ('"double"', "double"),
        ("'single'", "single"),
        (r'"esc \" \' \\ \n \t \r \/ \u00e9"', "esc \" ' \\ \n \t \r / é"),
        (r"'it\'s'", "it's"),
        ("true", True),
        ("false", False),
        ("null", None),
        ("[]", []),
        ("[1, 'a', [true]]", [1, "a", [True]]),
        ("[1, 2,]", [1, 2]),
        ("{}", {}),
        ('{"a": 1, "b": {"c": [null]}}', {"a": 1, "b": {"c": [None]}}),
        ('{"a": 1, "a": 2}', {"a": 2}),
    ],
)
def test_literals(text: str, expected: Any) -> None:
    result = value(text)
    assert result == expected
    assert type(result) is type(expected)


def test_a_literal_list_is_a_new_list_each_time() -> None:
    expression = compile_expression("[1, [2]]")
    first = expression.evaluate({})
    first[1].append(3)
    assert expression.evaluate({}) == [1, [2]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # or < and < not < comparison < + - < * / % < unary - < postfix
        ("true or false and false", True),
        ("(true or false) and false", False),
        ("not true or true", True),
        ("not (true or true)", False),
        ("not 1 == 2", True),
        ("not 1 in [1]", False),
        ("1 + 2 == 3", True),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("2 * 3 % 4", 2),
        ("100 / 10 / 5", 2),
        ("-2 * 3", -6),
        ("- 2 + 5", 3),
        ("-trigger.count", -5),
        ("- -3", 3),
        ("-trigger.items[0]", -10),
        ("1 < 2 and 2 < 3 or false", True),
        ("1 + 1 in [2]", True),
    ],
)
def test_precedence_from_lowest_to_highest(text: str, expected: Any) -> None:
    assert value(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 + 3", 5),
        ("2 + 1.5", 3.5),
        ("10 / 4", 2.5),
        ("10 / 5", 2),
        ("-9 / 3", -3),
        ("7.5 / 2.5", 3.0),
        ("7 % 3", 1),
        ("-7 % 3", 2),
        ("7.5 % 2", 1.5),
        ("3 * 4", 12),
        ("3 * 0.5", 1.5),
        ("5 - 7", -2),
        ('"ab" + "cd"', "abcd"),
        ("[1] + [2, 3]", [1, 2, 3]),
    ],
)
def test_arithmetic_preserves_integers(text: str, expected: Any) -> None:
    result = value(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('"hello" + 5', "cannot add string and integer"),
        ("true + 1", "cannot add boolean and integer"),
        ("[1] + {}", "cannot add array and object"),
        ("null + 1", "cannot add null and integer"),
        ('5 - "a"', "cannot subtract string from integer"),
        ('"a" * 3', "cannot multiply string and integer"),
        ("[1] * 2", "cannot multiply array and integer"),
        ('"6" / 2', "cannot divide string by integer"),
        ("true % 2", "cannot take boolean modulo integer"),
        ('-"a"', "cannot negate string"),
        ("-true", "cannot negate boolean"),
        ('1 < "2"', "cannot compare integer and string with '<'"),
        ("null >= 0", "cannot compare null and integer with '>='"),
        ("[1] < [2]", "cannot compare array and array with '<'"),
        ("true > false", "cannot compare boolean and boolean with '>'"),
        ('1 in "123"', "'in' looks for a string in a string, got integer"),
        ('1 in {"1": 1}', "'in' looks for a key (a string) in an object, got integer"),
        ("1 in 1", "'in' needs a string, an array or an object to look in, got integer"),
        ("1 not in null", "'not in' needs a string, an array or an object to look in, got null"),
    ],
)
def test_no_implicit_coercion(text: str, reason: str) -> None:
    error = failure(text)
    assert isinstance(error, ExpressionTypeError)
    assert error.reason == reason


def test_a_type_error_points_at_the_operator() -> None:
    error = failure("parameters.first + 5")
    assert str(error) == "cannot add string and integer at 1:18"
    error = failure('parameters.x + "!"' + " + 1")
    assert (error.line, error.column) == (1, 14)
    error = failure("1 +\n  2 < 'x'")
    assert str(error) == "cannot compare integer and string with '<' at 2:5"
    assert error.expression == "1 +\n  2 < 'x'"


def test_the_position_in_the_contract_example() -> None:
    # `parameters.name` is 15 characters: the `+` is the 17th.
    error = failure("parameters.name + 5", {"parameters": {"name": "n"}})
    assert str(error) == "cannot add string and integer at 1:17"
    assert (error.line, error.column, error.reason) == (1, 17, "cannot add string and integer")


@pytest.mark.parametrize("text", ["1 / 0", "1.5 / 0", "1 / 0.0", "1 % 0", "2.5 % 0"])
def test_division_and_modulo_by_zero_are_typed_errors(text: str) -> None:
    error = failure(text)
    assert isinstance(error, ExpressionValueError)
    assert error.reason in ("division by zero", "modulo by zero")
    assert error.column == text.index("/" if "/" in text else "%") + 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"3" == 3', False),
        ("3 == 3.0", True),
        ("3 != 3.0", False),
        ("1 == true", False),
        ("0 == false", False),
        ("null == false", False),
        ("null == null", True),
        ('"a" == "a"', True),
        ("[1, [2, {'a': 1}]] == [1.0, [2, {'a': 1.0}]]", True),
        ("[1, 2] == [2, 1]", False),
        ("[1] == [true]", False),
        ("{'a': 1, 'b': 2} == {'b': 2, 'a': 1}", True),
        ("{'a': 1} == {'a': 1, 'b': 2}", False),
        ("{'a': null} == {'b': null}", False),
        ("trigger.items == [10, 20, 30]", True),
        ("trigger.data.nested == {'deep': [1, {'x': 'y'}]}", True),
        ("trigger.count == 5", True),
        ("trigger.count == 5.0", True),
        ("trigger.count != '5'", True),
        ("trigger.level == 'high'", True),
        ("trigger.nothing == null", True),
        ("trigger.nothing != false", True),
    ],
)
def test_equality_is_deep_and_strict_about_types(text: str, expected: bool) -> None:
    assert value(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 < 2", True),
        ("2 <= 2", True),
        ("2.5 > 2", True),
        ("3 >= 3.5", False),
        ("'apple' < 'banana'", True),
        ("'b' > 'a'", True),
        ("trigger.count > 3", True),
        ("trigger.ratio < 1", True),
        ("trigger.count >= 6", False),
        # Chained like Python: `a < b < c` is `a < b and b < c`.
        ("1 < 2 < 3", True),
        ("3 > 2 > 2", False),
        ("1 < 3 > 2", True),
        ("1 == 1 == 1", True),
        ("1 < 2 == true", False),  # (1 < 2) and (2 == true): not ((1 < 2) == true)
        ("1 in [1] in [[1]]", True),
    ],
)
def test_ordering_and_chained_comparisons(text: str, expected: bool) -> None:
    assert value(text) is expected


def test_a_chain_stops_at_the_first_false_link() -> None:
    # The third operand would be a type error: it is never reached.
    assert value("2 < 1 < 'x'") is False
    with pytest.raises(ExpressionTypeError):
        value("1 < 2 < 'x'")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'eb' in trigger.host", True),
        ("'xyz' in trigger.host", False),
        ("20 in trigger.items", True),
        ("20.0 in trigger.items", True),
        ("'20' in trigger.items", False),
        ("'k' in trigger.data", True),
        ("'z' in trigger.data", False),
        ("'admin' in workflow.roles", True),
        ("'root' not in workflow.roles", True),
        ("'ops' not in workflow.roles", False),
        ("[1] in [[1], [2]]", True),
        ("{'a': 1} in [{'a': 1.0}]", True),
        ("true in [1]", False),
        ("trigger.host in ['web1', 'web2']", True),
        ("trigger.host in ['a', 'b']", False),
        ("trigger.host not in ['a', 'b']", True),
        ("trigger.count in ['5']", False),
        ("trigger.count in [5, 6]", True),
    ],
)
def test_membership(text: str, expected: bool) -> None:
    assert value(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("null or 0 or '' or [] or {} or false", False),
        ("'x' and 1 and [0] and {'a': 0} and true and 0.1", True),
        ("not ''", True),
        ("not 'false'", False),
        ("not []", True),
        ("not {}", True),
        ("not 0.0", True),
        ("1 and 'x'", True),  # a boolean, not Python's last operand
        ("0 or 'x'", True),
    ],
)
def test_truthiness_is_pythons_and_logic_yields_booleans(text: str, expected: bool) -> None:
    assert value(text) is expected


def test_and_or_short_circuit() -> None:
    assert value("true or undefined_thing.x") is True
    assert value("false and 1 / 0") is False
    assert value("trigger.count > 3 or nope") is True
    with pytest.raises(UndefinedName):
        value("false or nope")


def test_the_contract_comparison_chain() -> None:
    text = 'trigger.count > 3 and trigger.level == "high" or trigger.host in ["a", "b"]'
    expression = compile_expression(text)
    assert expression.evaluate(SCOPE) is True
    low = {"trigger": {"count": 1, "level": "high", "host": "a"}}
    assert expression.evaluate(low) is True
    neither = {"trigger": {"count": 1, "level": "high", "host": "c"}}
    assert expression.evaluate(neither) is False


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("parameters.first", "Ada"),
        ("workflow.counter", 3),
        ("task.fetch.result.data", [1, 2]),
        ("tasks.fetch.result.data[1]", 2),
        ("vars.counter", 3),
        ("variables.name", "wf"),
        ("counter", 3),  # a bare name: a workflow variable
        ("name + '!'", "wf!"),
        ("roles[0]", "admin"),
        ("trigger.count", 5),  # a root the caller supplies
        ("config", None),  # a canonical namespace absent from the scope is null
        ("keystore", None),
        ("item", None),
        ("index", None),
        ("system", None),
    ],
)
def test_namespaces_aliases_and_the_workflow_fallback(text: str, expected: Any) -> None:
    assert value(text) == expected


def test_a_supplied_root_wins_over_a_workflow_variable() -> None:
    scope = {"trigger": {"a": 1}, "workflow": {"trigger": "shadowed", "event": "var"}}
    assert value("trigger.a", scope) == 1
    assert value("event", scope) == "var"


def test_canonical_namespaces_come_from_the_scope_only() -> None:
    # `config` is never a workflow variable, even if one has that name.
    assert value("config", {"workflow": {"config": 1}}) is None
    assert value("config.retries > 0", {"config": {"retries": 2}}) is True


def test_index_and_item_namespaces() -> None:
    scope = {"item": {"name": "a"}, "index": 2}
    assert value("item.name + string(index)", scope) == "a2"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("trigger.hots", "undefined name 'trigger.hots' at 1:9"),
        ("nope", "undefined name 'nope' at 1:1"),
        ("nope.x", "undefined name 'nope' at 1:1"),
        ("vars.missing", "undefined name 'vars.missing' at 1:6"),
        ("trigger.data.nested.shallow", "undefined name 'trigger.data.nested.shallow' at 1:21"),
        ("trigger['hots']", "undefined name 'trigger['hots']' at 1:9"),
        ("trigger.items[3]", "undefined name 'trigger.items[3]' (the array has 3 items) at 1:15"),
        ("trigger.items[-4]", "undefined name 'trigger.items[-4]' (the array has 3 items) at 1:15"),
        (
            "trigger.nothing.x",
            "undefined name 'trigger.nothing.x' ('trigger.nothing' is null) at 1:17",
        ),
        ("config.token", "undefined name 'config.token' ('config' is null) at 1:8"),
    ],
)
def test_undefined_names_say_the_path_as_written(text: str, message: str) -> None:
    error = failure(text)
    assert isinstance(error, UndefinedName)
    assert str(error) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("trigger.items[0]", 10),
        ("trigger.items[-1]", 30),
        ("trigger.items.1", 20),  # `.1`: an index written as a field, as in dotted paths
        ("trigger.data['k']", 1),
        ("trigger.data.0", "zero"),  # of an object: the key "0"
        ("trigger.data['nested'].deep[1].x", "y"),
        ("trigger['data']['nested']['deep'][0]", 1),
        ("trigger.items[1 + 1]", 30),
        ("trigger.items[length(trigger.items) - 1]", 30),
        ("[1, 2, 3][1]", 2),
        ("{'a': {'b': 2}}.a.b", 2),
        ("(trigger.data).k", 1),
        ("task.fetch.result.data.0", 1),
        ("trigger.true", None),  # keywords are field names after a dot
    ],
)
def test_field_and_index_access(text: str, expected: Any) -> None:
    scope = {**SCOPE, "trigger": {**SCOPE["trigger"], "true": None}}
    assert value(text, scope) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("trigger.host.length", "cannot read 'trigger.host.length': 'trigger.host' is a string"),
        ("trigger.count.x", "cannot read 'trigger.count.x': 'trigger.count' is an integer"),
        ("trigger.host[0]", "cannot read 'trigger.host[0]': 'trigger.host' is a string"),
        (
            "trigger.items.first",
            "cannot read 'trigger.items.first': 'trigger.items' is an array (use an index such "
            "as [0])",
        ),
        ("trigger.items['0']", "an array index must be an integer, got string"),
        ("trigger.items[true]", "an array index must be an integer, got boolean"),
        ("trigger.items[1.0]", "an array index must be an integer, got float"),
        ("trigger.data[0]", "an object key must be a string, got integer"),
        ("true.x", "cannot read 'true.x': 'true' is a boolean"),
    ],
)
def test_only_objects_and_arrays_have_fields(text: str, reason: str) -> None:
    error = failure(text)
    assert isinstance(error, ExpressionTypeError)
    assert error.reason == reason


class RecordingMapping(Mapping[str, Any]):
    """A lazy namespace (like the keystore's): records which keys are read, and fails the
    test if anyone iterates it or asks its size."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values
        self.read: list[str] = []

    def __getitem__(self, key: str) -> Any:
        self.read.append(key)
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("a lazy namespace was iterated")

    def __len__(self) -> int:
        raise AssertionError("a lazy namespace was sized")


def test_a_lazy_namespace_is_read_only_for_the_keys_the_expression_names() -> None:
    keystore = RecordingMapping({"db": {"password": "pw"}, "api": "token", "other": "x"})
    scope = {"keystore": keystore, "trigger": {"on": True}}
    assert value("trigger.on and keystore.db.password == 'pw'", scope) is True
    assert keystore.read == ["db"]
    assert value("keystore['api'] + '!'", scope) == "token!"
    assert keystore.read == ["db", "api"]
    with pytest.raises(UndefinedName, match="undefined name 'keystore.absent'"):
        value("keystore.absent", scope)
    assert "other" not in keystore.read


def test_the_scope_itself_may_be_lazy() -> None:
    scope = RecordingMapping({"trigger": {"a": 1}, "workflow": {"v": 2}})
    assert value("trigger.a + v", scope) == 3
    # A bare name is looked for among the supplied roots first, then among the variables.
    assert scope.read == ["trigger", "v", "workflow"]


def test_keys_of_a_lazy_mapping_iterate_it_only_when_asked() -> None:
    class Listed(RecordingMapping):
        def __iter__(self) -> Iterator[str]:
            return iter(self._values)

        def __len__(self) -> int:
            return len(self._values)

    config = Listed({"b": 1, "a": 2})
    assert value("sort(keys(config))", {"config": config}) == ["a", "b"]


def test_roots_and_functions_of_an_expression() -> None:
    expression = compile_expression(
        "upper(trigger.host) in keystore.hosts and vars.x > length(tasks) and my_var"
    )
    assert expression.roots() == {"trigger", "keystore", "workflow", "task", "my_var"}
    assert expression.roots(supplied={"trigger"}) == {"trigger", "keystore", "workflow", "task"}
    assert expression.functions() == {"upper", "length"}
    assert compile_expression("1 + 2").roots() == frozenset()
    assert compile_expression("item('a')").roots() == frozenset()  # a function, not the root
    assert compile_expression("item.a").roots() == {"item"}


def test_an_expression_is_compiled_once_per_text_and_limits() -> None:
    assert compile_expression("trigger.count + 1") is compile_expression("trigger.count + 1")
    assert compile_expression("1") is not compile_expression(" 1")


def test_values_of_other_python_types_are_refused_not_used() -> None:
    class Thing:
        attribute = "secret"

    scope = {"trigger": {"thing": Thing()}}
    error = failure("trigger.thing.attribute", scope)
    assert isinstance(error, ExpressionTypeError)
    assert "unsupported value (Thing)" in error.reason
    assert value("trigger.thing == trigger.thing", scope) is True
    assert value("trigger.thing == 1", scope) is False


def test_tuples_are_arrays_and_any_mapping_is_an_object() -> None:
    from collections import OrderedDict

    scope = {"trigger": {"pair": (1, 2), "ordered": OrderedDict(a=1)}}
    assert value("trigger.pair[1] + trigger.ordered.a", scope) == 3
    assert value("trigger.pair == [1, 2]", scope) is True
    assert value("type_of(trigger.pair) + type_of(trigger.ordered)", scope) == "arrayobject"
