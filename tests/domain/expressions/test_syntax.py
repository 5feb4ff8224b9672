"""What the compiler refuses, with the position of the offending character: syntax errors,
YAQL and Jinja habits, the sandbox (``__`` names, method calls), unknown functions (with a
suggestion) and wrong numbers of arguments — all before anything is evaluated."""

from __future__ import annotations

import pickle

import pytest

from attune.domain.expressions import (
    ExpressionError,
    ExpressionSyntaxError,
    UnknownFunction,
    compile_expression,
)


def refusal(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as raised:
        compile_expression(text)
    return raised.value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty expression at 1:1"),
        ("   ", "empty expression at 1:1"),
        ("1 +", "unexpected end of expression at 1:4"),
        ("(1 + 2", "expected ')' to close the parenthesis, found end of expression at 1:7"),
        ("[1, 2", "expected ']' to close the array, found end of expression at 1:6"),
        ("{'a': 1", "expected '}' to close the object, found end of expression at 1:8"),
        ("{a: 1}", "an object key must be a string in quotes, found 'a' at 1:2"),
        ("{'a' 1}", "expected ':' after an object key, found number 1 at 1:6"),
        ("x[1", "expected ']' to close the index, found end of expression at 1:4"),
        ("x y", "unexpected name 'y': missing an operator? at 1:3"),
        ("1 2", "unexpected number 2 at 1:3"),
        ("trigger..x", "expected a field name after '.', found '.' at 1:9"),
        ("trigger.'x'", "expected a field name after '.', found string at 1:9"),
        ('"abc', "unterminated string at 1:1"),
        ("'abc\\'", "unterminated string at 1:1"),
        ('"\\q"', "unknown escape '\\q' in a string at 1:2"),
        ('"\\u12"', "unknown escape '\\u' in a string at 1:2"),
        ("and", "unexpected 'and' at 1:1"),
        ("1 or", "unexpected end of expression at 1:5"),
        ("in [1]", "unexpected 'in' at 1:1"),
        ("1 @ 2", "unexpected character '@' at 1:3"),
        ("1 ; 2", "unexpected character ';' at 1:3"),
        ("é", "unexpected character 'é' at 1:1"),
        (")", "unexpected ')' at 1:1"),
        ("True", "'True' is not a value: write 'true' at 1:1"),
        ("x == None", "'None' is not a value: write 'null' at 1:6"),
        ("1 +\n\n  * 2", "unexpected '*' at 3:3"),
    ],
)
def test_syntax_errors_give_the_position(text: str, message: str) -> None:
    error = refusal(text)
    assert isinstance(error, ExpressionSyntaxError)
    assert str(error) == message
    assert error.expression == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("$", "'$' is YAQL syntax, not supported: use ctx() or a namespace name at 1:1"),
        ("$.x", "'$' is YAQL syntax, not supported: use ctx() or a namespace name at 1:1"),
        (
            "len($.items) > 1",
            "'$' is YAQL syntax, not supported: use ctx() or a namespace name at 1:5",
        ),
        ("a.b = 1", "'=' is not an operator: use '==' at 1:5"),
        ("1 => 2", "'=' is not an operator: use '==' at 1:3"),
        ("a && b", "'&&' is not an operator: use 'and' at 1:3"),
        ("a || b", "'||' is not an operator: use 'or' at 1:3"),
        ("a & b", "'&' is not an operator: use 'and' at 1:3"),
        ("!a", "'!' is not an operator: use 'not' at 1:1"),
        (
            "x | upper",
            "'|' is not an operator: Jinja filters are not supported, call a function instead "
            "at 1:3",
        ),
    ],
)
def test_yaql_and_jinja_syntax_is_refused_with_a_hint(text: str, message: str) -> None:
    error = refusal(text)
    assert isinstance(error, ExpressionSyntaxError)
    assert str(error) == message


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("__class__", 1),
        ("x.__dict__", 3),
        ("trigger.__class__.__mro__", 9),
        ("__import__('os')", 1),
        ("x[0].__globals__", 6),
    ],
)
def test_dunder_names_are_refused_when_compiling(text: str, column: int) -> None:
    error = refusal(text)
    assert isinstance(error, ExpressionSyntaxError)
    assert error.reason.startswith("names starting with '__' are not allowed")
    assert error.column == column


@pytest.mark.parametrize(
    "text", ["trigger.host.upper()", "'a'.join(x)", "(upper)('a')", "x[0](1)", "result()()"]
)
def test_only_builtin_functions_are_called_never_methods(text: str) -> None:
    error = refusal(text)
    assert isinstance(error, ExpressionSyntaxError)
    assert error.reason.startswith("only built-in functions can be called")


def test_an_object_key_that_looks_like_an_attribute_is_just_a_key() -> None:
    # Values have no Python attributes at all: a key named like one is an ordinary key.
    expression = compile_expression("x['__class__']")
    assert expression.evaluate({"workflow": {"x": {"__class__": 1}}}) == 1


def test_an_unknown_function_is_refused_with_the_closest_name() -> None:
    error = refusal("lenght(trigger.items)")
    assert isinstance(error, UnknownFunction)
    assert isinstance(error, ExpressionSyntaxError)
    assert str(error) == "unknown function 'lenght' at 1:1 — did you mean 'length'?"
    assert error.hint == "did you mean 'length'?"
    error = refusal("1 + stratswith('a', 'b')")
    assert str(error) == "unknown function 'stratswith' at 1:5 — did you mean 'starts_with'?"
    error = refusal("frobnicate(1)")
    assert str(error) == "unknown function 'frobnicate' at 1:1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("length(1, 2)", "length() takes 1 argument, got 2 at 1:1"),
        ("length()", "length() takes 1 argument, got 0 at 1:1"),
        ("replace('a', 'b')", "replace() takes 3 arguments, got 2 at 1:1"),
        ("round()", "round() takes 1 or 2 arguments, got 0 at 1:1"),
        ("range(1, 2, 3, 4)", "range() takes 1 to 3 arguments, got 4 at 1:1"),
        ("x + result(1)", "result() takes no arguments, got 1 at 1:5"),
    ],
)
def test_a_wrong_number_of_arguments_is_refused_when_compiling(text: str, message: str) -> None:
    error = refusal(text)
    assert isinstance(error, ExpressionSyntaxError)
    assert str(error) == message


def test_a_call_may_have_a_trailing_comma_and_postfix_access() -> None:
    assert compile_expression("max(1, 2,)").evaluate({}) == 2
    assert compile_expression("split('a.b', '.')[1]").evaluate({}) == "b"


def test_the_detail_shows_the_line_and_a_caret() -> None:
    error = refusal("x +\n  y z")
    assert error.detail == "unexpected name 'z': missing an operator? at 2:5\n    y z\n      ^"


def test_errors_survive_pickling() -> None:
    error = refusal("lenght(x)")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is UnknownFunction
    assert str(copy) == str(error)
    assert (copy.line, copy.column, copy.hint) == (1, 1, "did you mean 'length'?")


def test_a_non_string_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        compile_expression(42)  # type: ignore[arg-type]
