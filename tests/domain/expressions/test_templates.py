"""Templates: a lone block keeps its value's type, mixed text writes values as JSON, both
delimiters, blocks left as written by `keep` (deferred keystore blocks), nested rendering
of JSON-like values, and errors positioned in the whole template naming the block."""

from __future__ import annotations

from typing import Any

import pytest

from attune.domain.expressions import (
    Expression,
    ExpressionError,
    ExpressionSyntaxError,
    ExpressionTypeError,
    LimitExceeded,
    Limits,
    UndefinedName,
    UnknownFunction,
    compile_template,
    render_value,
)

SCOPE: dict[str, Any] = {
    "trigger": {
        "count": 3,
        "host": "web1",
        "tags": ["a", "b"],
        "ok": True,
        "none": None,
        "data": {"k": 1},
        "ratio": 0.5,
    },
    "keystore": {"db_password": "s3cret"},
    "workflow": {"items": [1, 2, 3, 4]},
}


def render(text: str, **options: Any) -> Any:
    return compile_template(text).render(SCOPE, **options)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ trigger.count }}", 3),
        ("  {{ trigger.count }}\n", 3),  # whitespace around a lone block is not text
        ("{{trigger.count}}", 3),
        ("{{ trigger.tags }}", ["a", "b"]),
        ("{{ trigger.data }}", {"k": 1}),
        ("{{ trigger.ok }}", True),
        ("{{ trigger.none }}", None),
        ("{{ trigger.ratio }}", 0.5),
        ("{{ trigger.count > 2 }}", True),
        ("{{ length(workflow.items) }}", 4),
        ("<% trigger.count %>", 3),
        ("<%trigger.tags[0]%>", "a"),
        ('{{ {"a": {"b": 1}} }}', {"a": {"b": 1}}),  # braces inside a block
        ('{{ "}}" }}', "}}"),
        ("<% '%>' %>", "%>"),
    ],
)
def test_a_lone_block_keeps_the_value_s_type(text: str, expected: Any) -> None:
    template = compile_template(text)
    assert template.is_whole()
    result = template.render(SCOPE)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("count={{ trigger.count }}", "count=3"),
        ("{{ trigger.host }}:{{ trigger.count + 1 }}", "web1:4"),
        ("tags: {{ trigger.tags }}", 'tags: ["a", "b"]'),
        ("data: {{ trigger.data }}", 'data: {"k": 1}'),
        ("ok={{ trigger.ok }} none={{ trigger.none }}", "ok=true none=null"),
        ("{{ trigger.ratio }}%", "0.5%"),
        ("<% trigger.host %> and {{ trigger.host }}", "web1 and web1"),
        ("{{ 1 }}{{ 2 }}", "12"),
        ("a {{ '{{' }} b", "a {{ b"),
        ("no blocks at all", "no blocks at all"),
        ("", ""),
        ("single { brace } and % percent > sign <", "single { brace } and % percent > sign <"),
    ],
)
def test_mixed_text_writes_strings_as_they_are_and_other_values_as_json(
    text: str, expected: str
) -> None:
    assert render(text) == expected


def test_blocks_are_the_expressions_in_order() -> None:
    template = compile_template("a {{ trigger.host }} b <% 1 + 1 %> c")
    assert [block.text for block in template.blocks] == ["trigger.host", "1 + 1"]
    assert all(isinstance(block, Expression) for block in template.blocks)
    assert not template.is_whole()
    assert compile_template("plain").blocks == ()
    assert not compile_template("plain").is_whole()


def keystore_blocks(expression: Expression) -> bool:
    return "keystore" in expression.roots()


def test_kept_blocks_are_left_exactly_as_written() -> None:
    assert render("{{ keystore.db_password }}", keep=keystore_blocks) == (
        "{{ keystore.db_password }}"
    )
    assert render("  {{keystore.db_password}} ", keep=keystore_blocks) == (
        "  {{keystore.db_password}} "
    )
    mixed = "postgres://app:{{ keystore.db_password }}@{{ trigger.host }}/<%keystore.x%>"
    assert render(mixed, keep=keystore_blocks) == (
        "postgres://app:{{ keystore.db_password }}@web1/<%keystore.x%>"
    )
    # Without `keep`, they render like any block.
    assert render("{{ keystore.db_password }}") == "s3cret"


def test_a_kept_block_is_not_evaluated() -> None:
    # `keystore.absent` would be an UndefinedName: kept, it is never read.
    assert render("x {{ keystore.absent }}", keep=keystore_blocks) == "x {{ keystore.absent }}"


def test_render_value_renders_every_string_in_a_json_like_value() -> None:
    value = {
        "count": "{{ trigger.count }}",
        "message": "host {{ trigger.host }}",
        "list": ["{{ trigger.tags }}", ["<% trigger.ok %>", 7], None],
        "nested": {"deep": {"value": "{{ trigger.data.k }}"}},
        "{{ trigger.host }}": "keys are not rendered",
        "secret": "{{ keystore.db_password }}",
        "plain": "no blocks",
        "number": 5,
        "tuple": ("{{ 1 }}",),
    }
    assert render_value(value, SCOPE, keep=keystore_blocks) == {
        "count": 3,
        "message": "host web1",
        "list": [["a", "b"], [True, 7], None],
        "nested": {"deep": {"value": 1}},
        "{{ trigger.host }}": "keys are not rendered",
        "secret": "{{ keystore.db_password }}",
        "plain": "no blocks",
        "number": 5,
        "tuple": [1],
    }
    assert render_value("{{ trigger.count }}", SCOPE) == 3
    assert render_value(42, SCOPE) == 42


def test_render_value_does_not_change_its_input() -> None:
    value = {"a": ["{{ trigger.count }}"]}
    render_value(value, SCOPE)
    assert value == {"a": ["{{ trigger.count }}"]}


@pytest.mark.parametrize(
    ("text", "error_type", "message"),
    [
        (
            "host: {{ trigger.host + 1 }}",
            ExpressionTypeError,
            "cannot add string and integer at 1:23 in {{ trigger.host + 1 }}",
        ),
        (
            "line one\n  value: <% trigger.hots %>",
            UndefinedName,
            "undefined name 'trigger.hots' at 2:21 in <% trigger.hots %>",
        ),
        (
            "a {{ 1 }} b {{ lenght(x) }}",
            UnknownFunction,
            "unknown function 'lenght' at 1:16 — did you mean 'length'? in {{ lenght(x) }}",
        ),
        (
            "x {{ $.a }}",
            ExpressionSyntaxError,
            "'$' is YAQL syntax, not supported: use ctx() or a namespace name at 1:6 in {{ $.a }}",
        ),
        ("x {{ 1 + }}", ExpressionSyntaxError, "unexpected end of expression at 1:9 in {{ 1 + }}"),
        ("x {{ }}", ExpressionSyntaxError, "empty block at 1:3 in {{ }}"),
        (
            "x {{ trigger.host",
            ExpressionSyntaxError,
            "'{{' is not closed: expected '}}' at 1:3 in {{ trigger.host",
        ),
        ("x <% 1", ExpressionSyntaxError, "'<%' is not closed: expected '%>' at 1:3 in <% 1"),
        ("{{ 'open }}", ExpressionSyntaxError, "unterminated string at 1:4 in {{ 'open }}"),
    ],
)
def test_errors_are_positioned_in_the_whole_template_and_name_the_block(
    text: str, error_type: type[ExpressionError], message: str
) -> None:
    with pytest.raises(ExpressionError) as raised:
        render(text)
    error = raised.value
    assert type(error) is error_type
    assert str(error) == message
    assert error.expression == text
    assert error.block is not None and error.block in text


def test_a_template_error_detail_points_at_the_character() -> None:
    with pytest.raises(ExpressionError) as raised:
        render("one\n  two {{ trigger.count + 'x' }}")
    assert raised.value.detail.splitlines()[1:] == [
        "    two {{ trigger.count + 'x' }}",
        "                         ^",
    ]


def test_templates_are_cached() -> None:
    assert compile_template("{{ trigger.count }}!") is compile_template("{{ trigger.count }}!")


def test_rendered_text_is_bounded() -> None:
    limits = Limits(max_string_length=50)
    template = compile_template("{{ workflow.items }}" * 2, limits)  # 2 x 30 characters
    with pytest.raises(LimitExceeded, match="the rendered text exceeds the limit of 50"):
        template.render({"workflow": {"items": list(range(10))}}, limits=limits)


def test_a_template_s_blocks_share_one_step_budget() -> None:
    limits = Limits(max_steps=20)
    block = "{{ length(range(5)) }}"
    assert compile_template(block * 2, limits).render({}, limits=limits) == "55"
    with pytest.raises(LimitExceeded, match="20 steps"):
        compile_template(block * 4, limits).render({}, limits=limits)


def test_render_value_is_bounded_in_depth() -> None:
    value: Any = "{{ 1 }}"
    for _ in range(100):
        value = [value]
    with pytest.raises(LimitExceeded, match="nested deeper than the limit of 64"):
        render_value(value, {})
