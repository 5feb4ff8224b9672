"""Every built-in function: what it returns, and how it refuses a wrong argument (the type
error names the function, the expected type and the argument's position)."""

from __future__ import annotations

from typing import Any

import pytest

from attune.domain.expressions import (
    FUNCTION_NAMES,
    ExpressionError,
    ExpressionTypeError,
    ExpressionValueError,
    LimitExceeded,
    compile_expression,
)

SCOPE: dict[str, Any] = {
    "trigger": {"host": "Web1", "port": 8080, "tags": ["b", "a", "b"], "data": {"y": 1, "x": 2}},
    "workflow": {"items": [1, 2, 3, 4], "roles": ["admin"], "data": {"b": 1, "a": 2}},
    "parameters": {"first": "Ada", "last": "Lovelace", "x": 4},
}


def value(text: str) -> Any:
    return compile_expression(text).evaluate(SCOPE)


def failure(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as raised:
        value(text)
    return raised.value


CASES: list[tuple[str, Any]] = [
    # conversion
    ("string(1)", "1"),
    ("string(1.5)", "1.5"),
    ("string(-0.25)", "-0.25"),
    ("string(null)", "null"),
    ("string(true)", "true"),
    ("string('as is')", "as is"),
    ("string([1, 'a', {'b': null}])", '[1, "a", {"b": null}]'),
    ("string({'é': 'ü'})", '{"\\u00e9": "\\u00fc"}'),  # json.dumps' defaults
    ("number('3')", 3),
    ("number('3.5')", 3.5),
    ("number(' -2 ')", -2),
    ("number('+7')", 7),
    ("number('1e3')", 1000.0),
    ("number(4)", 4),
    ("number(4.5)", 4.5),
    ("number(true)", 1),
    ("int('42')", 42),
    ("int(' -42 ')", -42),
    ("int(3.9)", 3),
    ("int(-3.9)", -3),
    ("int(7)", 7),
    ("int(false)", 0),
    ("bool(0)", False),
    ("bool('')", False),
    ("bool('false')", True),  # truthiness: every non-empty string is true
    ("bool([0])", True),
    ("bool({})", False),
    ("bool(null)", False),
    # introspection
    ("type_of(null)", "null"),
    ("type_of(false)", "boolean"),
    ("type_of(1)", "integer"),
    ("type_of(1.0)", "float"),
    ("type_of('s')", "string"),
    ("type_of([])", "array"),
    ("type_of({})", "object"),
    ("length('héllo')", 5),
    ("length(workflow.items)", 4),
    ("length({'a': 1, 'b': 2})", 2),
    ("keys(trigger.data)", ["y", "x"]),  # in the object's order
    ("values(trigger.data)", [1, 2]),
    ("keys({})", []),
    # math
    ("abs(-3)", 3),
    ("abs(-2.5)", 2.5),
    ("abs(4)", 4),
    ("floor(2.7)", 2),
    ("floor(-2.5)", -3),
    ("floor(5)", 5),
    ("ceil(2.1)", 3),
    ("ceil(-2.9)", -2),
    ("round(2.5)", 3),  # half away from zero, not to even
    ("round(3.5)", 4),
    ("round(-2.5)", -3),
    ("round(2.4)", 2),
    ("round(7)", 7),
    ("round(2.675, 2)", 2.68),  # on the number as written in decimal
    ("round(3.14159, 3)", 3.142),
    ("round(1.0, 1)", 1.0),
    ("round(1250, -2)", 1300),
    ("round(1234.5, -2)", 1200.0),
    ("round(5, 2)", 5),
    ("min(3, 1)", 1),
    ("min(2, 1.5)", 1.5),
    ("min([3, 1, 2])", 1),
    ("min('b', 'a')", "a"),
    ("max(3, 1)", 3),
    ("max([3, 10, 2.5])", 10),
    ("max(['a', 'c', 'b'])", "c"),
    ("sum([1, 2, 3])", 6),
    ("sum([1, 2.5])", 3.5),
    ("sum([])", 0),
    # strings
    ("lower('AbC')", "abc"),
    ("upper(trigger.host)", "WEB1"),
    ("upper('straße')", "STRASSE"),
    ("trim('  x y \\n')", "x y"),
    ("split('a,b,,c', ',')", ["a", "b", "", "c"]),
    ("split('a--b', '--')", ["a", "b"]),
    ("split('', ',')", [""]),
    ("join(['a', 'b', 'c'], ', ')", "a, b, c"),
    ("join([], ',')", ""),
    ("replace('a-b-c', '-', '+')", "a+b+c"),
    ("replace('aaa', 'a', 'bb')", "bbbbbb"),
    ("replace('abc', 'x', 'y')", "abc"),
    ("starts_with('hello', 'he')", True),
    ("starts_with('hello', 'lo')", False),
    ("ends_with('hello', 'lo')", True),
    ("ends_with('hello', 'he')", False),
    ("match('^w.b[0-9]+$', 'web12')", True),
    ("match('b', 'abc')", True),  # a search anywhere, not a match from the start
    ("match('^b', 'abc')", False),
    ("match('(?i)WEB', trigger.host)", True),
    # collections
    ("contains('hello', 'ell')", True),
    ("contains([1, 2], 2.0)", True),
    ("contains([[1]], [1])", True),
    ("contains({'a': 1}, 'a')", True),
    ("contains({'a': 1}, 'b')", False),
    ("reversed('abc')", "cba"),
    ("reversed([1, 2, 3])", [3, 2, 1]),
    ("sort([3, 1, 2.5])", [1, 2.5, 3]),
    ("sort(['b', 'a', 'C'])", ["C", "a", "b"]),
    ("sort([])", []),
    ("unique(trigger.tags)", ["b", "a"]),
    (
        "unique([1, 1.0, 2, [1], [1], {'a': 1}, {'a': 1.0}, true, 1, null, null])",
        [1, 2, [1], {"a": 1}, True, None],
    ),
    ("flat([[1, 2], [3], 4, [[5]]])", [1, 2, 3, 4, [5]]),
    ("zip([1, 2, 3], ['a', 'b'])", [[1, "a"], [2, "b"]]),
    ("zip([], [1])", []),
    ("range(3)", [0, 1, 2]),
    ("range(0)", []),
    ("range(-2)", []),
    ("range(2, 5)", [2, 3, 4]),
    ("range(0, 10, 3)", [0, 3, 6, 9]),
    ("range(5, 0, -2)", [5, 3, 1]),
    ("slice([1, 2, 3, 4], 1, 3)", [2, 3]),
    ("slice([1, 2, 3, 4], 1)", [2, 3, 4]),
    ("slice([1, 2, 3, 4], -2)", [3, 4]),
    ("slice([1, 2, 3, 4], 0, -1)", [1, 2, 3]),
    ("slice('hello', 1, null)", "ello"),
    ("slice('hello', null, 2)", "he"),
    ("slice('hello', 10)", ""),
    ("index_of([1, 2, 3], 2)", 1),
    ("index_of([1, 2, 3], 2.0)", 1),
    ("index_of([1, 2, 3], 9)", -1),
    ("index_of('hello', 'l')", 2),
    ("index_of('hello', 'z')", -1),
    ("count('banana', 'a')", 3),
    ("count('aaaa', 'aa')", 2),  # non-overlapping
    ("count([1, 2, 1, 1.0], 1)", 3),
    ("count([], 1)", 0),
    ("merge({'a': 1, 'b': 1}, {'b': 2, 'c': 3})", {"a": 1, "b": 2, "c": 3}),
    ("merge({'a': {'x': 1}}, {'a': {'y': 2}})", {"a": {"y": 2}}),  # shallow
    ("chunks([1, 2, 3, 4, 5], 2)", [[1, 2], [3, 4], [5]]),
    ("chunks([], 3)", []),
    ("json('{\"a\": [1, 2.5, null, true]}')", {"a": [1, 2.5, None, True]}),
    ("json('\"text\"')", "text"),
    ("json({'a': 1})", {"a": 1}),  # an object is returned as it is, as in Orquesta
    # the examples of the seeds
    ('length(workflow.items) > 3 and "admin" in workflow.roles', True),
    ('parameters.first + " " + parameters.last', "Ada Lovelace"),
    ("parameters.x * 2", 8),
    ('join(sort(keys(workflow.data)), ", ")', "a, b"),
    ('upper(trigger.host) + ":" + string(trigger.port + 1)', "WEB1:8081"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_function_results(text: str, expected: Any) -> None:
    result = value(text)
    assert result == expected
    assert type(result) is type(expected)


def test_every_function_has_a_case() -> None:
    workflow = {"ctx", "result", "succeeded", "failed", "completed", "timed_out", "item"}
    tested = {name for name in FUNCTION_NAMES if any(f"{name}(" in text for text, _ in CASES)}
    assert FUNCTION_NAMES - tested == workflow | {"task_status"}  # in test_workflow_functions


def test_functions_return_new_values_not_the_scope_s() -> None:
    scope = {"trigger": {"tags": ["b", "a"], "data": {"a": 1}}}
    for text in ("sort(trigger.tags)", "reversed(trigger.tags)", "merge(trigger.data, {})"):
        result = compile_expression(text).evaluate(scope)
        result.clear()
    assert scope == {"trigger": {"tags": ["b", "a"], "data": {"a": 1}}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("upper(1)", "upper() expects a string, got integer at 1:7"),
        ("lower(null)", "lower() expects a string, got null at 1:7"),
        ("trim([])", "trim() expects a string, got array at 1:6"),
        ("length(1)", "length() expects a string, an array or an object, got integer at 1:8"),
        ("length(true)", "length() expects a string, an array or an object, got boolean at 1:8"),
        ("keys([1])", "keys() expects an object, got array at 1:6"),
        ("values('s')", "values() expects an object, got string at 1:8"),
        ("number(null)", "number() expects a string, a number or a boolean, got null at 1:8"),
        ("int([1])", "int() expects a string, a number or a boolean, got array at 1:5"),
        ("abs('1')", "abs() expects a number, got string at 1:5"),
        ("abs(true)", "abs() expects a number, got boolean at 1:5"),
        ("floor(null)", "floor() expects a number, got null at 1:7"),
        ("ceil('x')", "ceil() expects a number, got string at 1:6"),
        ("round('2')", "round() expects a number, got string at 1:7"),
        ("round(2.5, 1.0)", "round() expects an integer as argument 2, got float at 1:12"),
        (
            "min(1, 'a')",
            "min() expects numbers, or strings, of one type; got integer and string at 1:1",
        ),
        ("max(1)", "max() expects an array, got integer at 1:5"),
        (
            "max([true, false])",
            "max() expects numbers, or strings, of one type; got boolean at 1:1",
        ),
        ("sum([1, '2'])", "sum() expects an array of numbers, got an item of type string at 1:5"),
        ("sum('12')", "sum() expects an array, got string at 1:5"),
        ("split(1, ',')", "split() expects a string as argument 1, got integer at 1:7"),
        ("split('a', 1)", "split() expects a string as argument 2, got integer at 1:12"),
        ("join('ab', ',')", "join() expects an array as argument 1, got string at 1:6"),
        (
            "join(['a', 1], ',')",
            "join() expects an array of strings, got an item of type integer at 1:6",
        ),
        ("replace('a', 'b', 1)", "replace() expects a string as argument 3, got integer at 1:19"),
        (
            "starts_with(1, 'a')",
            "starts_with() expects a string as argument 1, got integer at 1:13",
        ),
        ("ends_with('a', null)", "ends_with() expects a string as argument 2, got null at 1:16"),
        ("match(1, 'a')", "match() expects a string as argument 1, got integer at 1:7"),
        (
            "contains(1, 1)",
            "contains() needs a string, an array or an object to look in, got integer at 1:1",
        ),
        ("contains('abc', 1)", "contains() looks for a string in a string, got integer at 1:1"),
        ("reversed({})", "reversed() expects a string or an array, got object at 1:10"),
        (
            "sort([1, 'a'])",
            "sort() expects an array of numbers, or of strings, got items of types integer, "
            "string at 1:6",
        ),
        (
            "sort([[1]])",
            "sort() expects an array of numbers, or of strings, got items of types array at 1:6",
        ),
        ("unique('aab')", "unique() expects an array, got string at 1:8"),
        ("flat({})", "flat() expects an array, got object at 1:6"),
        ("zip([1], 'a')", "zip() expects an array as argument 2, got string at 1:10"),
        ("range('3')", "range() expects an integer, got string at 1:7"),
        ("range(1.5)", "range() expects an integer, got float at 1:7"),
        ("range(0, true)", "range() expects an integer as argument 2, got boolean at 1:10"),
        ("slice(1, 0)", "slice() expects a string or an array as argument 1, got integer at 1:7"),
        ("slice('abc', 0.5)", "slice() expects an integer as argument 2, got float at 1:14"),
        (
            "index_of({}, 'a')",
            "index_of() expects a string or an array as argument 1, got object at 1:10",
        ),
        ("index_of('abc', 1)", "index_of() expects a string as argument 2, got integer at 1:17"),
        ("count(null, 1)", "count() expects a string or an array as argument 1, got null at 1:7"),
        ("merge({}, [])", "merge() expects an object as argument 2, got array at 1:11"),
        ("chunks([1], '2')", "chunks() expects an integer as argument 2, got string at 1:13"),
        ("json(1)", "json() expects a string, got integer at 1:6"),
        ("type_of(1) + 1", "cannot add string and integer at 1:12"),
    ],
)
def test_wrong_argument_types_are_typed_errors(text: str, message: str) -> None:
    error = failure(text)
    assert isinstance(error, ExpressionTypeError)
    assert str(error) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("number('abc')", "number() cannot convert 'abc' to a number at 1:8"),
        ("number('')", "number() cannot convert '' to a number at 1:8"),
        ("number('1,5')", "number() cannot convert '1,5' to a number at 1:8"),
        ("int('x')", "int() cannot convert 'x' to an integer at 1:5"),
        ("int('3.5')", "int() cannot convert '3.5' to an integer at 1:5"),
        ("min([])", "min() of an empty array at 1:5"),
        ("max([])", "max() of an empty array at 1:5"),
        ("round(1.5, 401)", "round() rounds to at most 400 digits, got 401 at 1:12"),
        ("split('abc', '')", "split() needs a separator that is not empty at 1:14"),
        ("range(0, 5, 0)", "range() needs a step that is not zero at 1:13"),
        ("chunks([1], 0)", "chunks() needs a size of at least 1, got 0 at 1:13"),
        ("json('{')", None),
        ("json('NaN')", "json() cannot parse its text: NaN is not JSON at 1:6"),
        ("json('[Infinity]')", "json() cannot parse its text: Infinity is not JSON at 1:6"),
    ],
)
def test_wrong_argument_values_are_value_errors(text: str, message: str | None) -> None:
    error = failure(text)
    assert isinstance(error, ExpressionValueError)
    if message is None:
        assert error.reason.startswith(f"{text[: text.index('(')]}() cannot parse its text")
    else:
        assert str(error) == message


def test_an_invalid_regular_expression_is_a_value_error() -> None:
    for pattern in ("[", "(?P<x", "a{2,1}", "\\\\"):
        error = failure(f"match('{pattern}', 'x')")
        assert isinstance(error, ExpressionValueError)
        assert error.reason.startswith("match() pattern is not a valid regular expression")
        assert error.column == 7


def test_an_enormous_repetition_in_a_pattern_is_a_value_error_not_an_overflow() -> None:
    error = failure("match('a{99999999999999999999}', 'a')")
    assert isinstance(error, ExpressionValueError)


def test_the_pattern_length_is_bounded() -> None:
    error = failure(f"match('{'a' * 1001}', 'a')")
    assert isinstance(error, LimitExceeded)
    assert error.reason == "match() pattern of 1001 characters exceeds the limit of 1000"
    assert value(f"match('{'a' * 1000}', '{'a' * 1000}')") is True


@pytest.mark.parametrize("text", ["int('9' * 2)", "int('" + "9" * 5000 + "')"])
def test_huge_integer_text_is_a_limit_not_a_python_error(text: str) -> None:
    if "*" in text:  # `*` does not repeat strings
        assert isinstance(failure(text), ExpressionTypeError)
        return
    error = failure(text)
    assert isinstance(error, LimitExceeded)
    assert error.reason == "int() of an integer wider than 256 bits"


def test_number_of_huge_or_infinite_text_is_a_limit() -> None:
    assert isinstance(failure("number('1e999')"), LimitExceeded)
    assert isinstance(failure("number('" + "1" * 100 + "')"), LimitExceeded)
    assert isinstance(failure("json('" + "1" * 100 + "')"), LimitExceeded)
    assert isinstance(failure("json('1e999')"), LimitExceeded)
    assert isinstance(failure("floor(1e300)"), LimitExceeded)
    assert isinstance(failure("round(1e300)"), LimitExceeded)
    assert value("round(1e300, 2)") == 1e300
