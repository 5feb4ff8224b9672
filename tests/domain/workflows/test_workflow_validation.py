"""Validation of workflow definitions, both formats: every kind of problem reported with
its path, all at once, and a valid definition read into the model."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from attune.domain.workflows.definition import parse_workflow, problems_of
from attune.domain.workflows.model import MISSING
from attune.domain.workflows.problems import InvalidWorkflow

ACTIONS = {"core.local", "core.noop", "core.echo"}


def problems(text: str, actions: set[str] | None = ACTIONS) -> dict[str, str]:
    """The problems of a YAML workflow, by path."""
    return {
        str(p).split(": ", 1)[0]: str(p).split(": ", 1)[1]
        for p in problems_of(yaml.safe_load(text), actions)
    }


def test_an_orquesta_workflow_with_every_kind_of_problem_reports_all_of_them_with_paths() -> None:
    found = problems(
        """
version: 1.0
tasks:
  fetch:
    action: core.local cmd="curl -s x"
    next:
      - when: "{{ $.status == 200 }}"
        publish: [{token: "{{ keystore.api_token }}"}]
        do: [parse, pasre]
  parse:
    action: nosuch.action
    input: {text: "{{ ctx().body + }}"}
    next: [{do: merge}]
  merge:
    join: 2
    action: core.noop
  orphan:
    action: core.noop
    next: [{do: ghost_target}]
  ghost:
    action: core.noop
  loop_a:
    action: core.noop
    next: [{do: loop_b}]
  loop_b:
    action: core.noop
    next: [{do: loop_a}]
"""
    )
    assert found.keys() == {
        "tasks.fetch.next[0].when",
        "tasks.fetch.next[0].publish",
        "tasks.fetch.next[0].do[1]",
        "tasks.parse.action",
        "tasks.parse.input.text",
        "tasks.merge.join",
        "tasks.orphan.next[0].do[0]",
        "tasks.loop_a",
        "tasks.loop_b",
    }
    assert "'$' is YAQL syntax" in found["tasks.fetch.next[0].when"]
    assert "at 1:4" in found["tasks.fetch.next[0].when"]  # the position in the text
    assert "keystore" in found["tasks.fetch.next[0].publish"]
    assert found["tasks.fetch.next[0].do[1]"] == "unknown task 'pasre' (did you mean 'parse'?)"
    assert found["tasks.parse.action"] == "unknown action 'nosuch.action'"
    assert "bad expression" in found["tasks.parse.input.text"]
    assert (
        "join 2 can never be satisfied: only 1 task(s) lead here (parse)"
        in found["tasks.merge.join"]
    )
    assert found["tasks.loop_a"].startswith("unreachable")  # a cycle nothing enters


def test_an_attune_workflow_s_problems_name_the_task_by_its_place_in_the_list() -> None:
    found = problems(
        """
version: "1.0"
tasks:
  - name: fetch
    action: core.local
    with_items: "{{ parameters.hosts }}"
    concurrency: 2
    batch_size: 5
    retry: {count: 3, backoff: 0.5}
    next:
      - when: "succeeded() and"
        do: [parse]
    on_failure: nowhere
  - name: parse
    action: core.echo
    type: parallel
  - name: parse
    action: core.echo
""",
    )
    assert found == {
        "tasks[0].batch_size": "give concurrency or batch_size, not both",
        "tasks[0].retry.backoff": "a backoff is a factor >= 1, found 0.5",
        "tasks[0].next[0].when": found["tasks[0].next[0].when"],
        "tasks[0].next[1].do[0]": "unknown task 'nowhere'",
        "tasks[1].type": found["tasks[1].type"],
        "tasks[2].name": "task 'parse' is defined twice",
    }
    assert found["tasks[0].next[0].when"].startswith("bad expression")
    assert "several targets in 'do'" in found["tasks[1].type"]


def test_a_join_with_nothing_leading_to_it_and_a_workflow_without_a_start_are_problems() -> None:
    assert problems(
        """
version: 1.0
tasks:
  first: {action: core.noop, join: all}
"""
    ) == {"tasks.first.join": "a join with no inbound task: nothing leads here"}
    assert "no task to start with" in problems(
        """
version: 1.0
tasks:
  a: {action: core.noop, next: [{do: b}]}
  b: {action: core.noop, next: [{do: a}]}
"""
    ).get("tasks", "")


def test_unknown_actions_are_only_checked_when_the_actions_are_known() -> None:
    text = "version: 1.0\ntasks:\n  a: {action: nosuch.thing}\n"
    assert problems(text, actions=None) == {}
    assert problems(text) == {"tasks.a.action": "unknown action 'nosuch.thing'"}


def test_a_cycle_entered_from_a_start_task_is_allowed() -> None:
    workflow = parse_workflow(
        yaml.safe_load(
            """
version: 1.0
vars: [{count: 0}]
tasks:
  init: {action: core.noop, next: [{do: body}]}
  body:
    action: core.noop
    next:
      - when: "{{ ctx().count < 3 }}"
        publish: [{count: "{{ ctx().count + 1 }}"}]
        do: body
"""
        ),
        ACTIONS,
    )
    assert workflow.start == ("init",)
    assert workflow.graph is not None and "body" in workflow.graph.cycles
    assert [e.source for e in workflow.graph.inbound["body"]] == ["init", "body"]
    assert not workflow.graph.splits  # (a task in a cycle is no split)


def test_both_formats_read_into_the_same_model() -> None:
    orquesta = parse_workflow(
        yaml.safe_load(
            """
version: 1.0
input: [url, {retries: 2}]
vars: [{seen: []}]
tasks:
  fetch:
    action: core.local cmd="curl -s {{ ctx().url }}" timeout=30
    with: {items: "host in {{ ctx().hosts }}", concurrency: 2}
    retry: {when: "{{ failed() }}", count: 3, delay: 1}
    next:
      - when: "{{ succeeded() }}"
        publish: [{body: "{{ result().stdout }}"}]
        do: done
  done: {action: core.noop}
output: [{body: "{{ ctx().body }}"}]
"""
        )
    )
    attune = parse_workflow(
        yaml.safe_load(
            """
version: "1.0"
parameters:
  url: {type: string, required: true}
  retries: {type: integer, default: 2}
vars: {seen: []}
tasks:
  - name: fetch
    action: core.local
    input: {cmd: "curl -s {{ ctx().url }}", timeout: 30}
    with_items: "host in {{ ctx().hosts }}"
    concurrency: 2
    retry: {when: "{{ failed() }}", count: 3, delay: 1}
    on_success: done
    publish: [{body: "{{ result().stdout }}"}]
  - name: done
    action: core.noop
output_map: {body: "{{ ctx().body }}"}
"""
        )
    )
    for workflow in (orquesta, attune):
        fetch = workflow.tasks["fetch"]
        assert workflow.input == (("url", MISSING), ("retries", 2))
        assert workflow.vars == (("seen", []),)
        assert fetch.action == "core.local"
        assert fetch.input == {"cmd": "curl -s {{ ctx().url }}", "timeout": 30}
        assert fetch.items is not None and fetch.items.names == ("host",)
        assert fetch.items.source == "{{ ctx().hosts }}" and fetch.items.concurrency == 2
        assert fetch.retry is not None and (fetch.retry.count, fetch.retry.delay) == (3, 1)
        [transition] = fetch.next
        assert transition.when_text == "{{ succeeded() }}" and transition.do == ("done",)
        assert transition.publish == (("body", "{{ result().stdout }}"),)
        assert workflow.output == (("body", "{{ ctx().body }}"),)
        assert workflow.start == ("fetch",)


def test_legacy_shortcuts_become_transitions_in_order() -> None:
    workflow = parse_workflow(
        yaml.safe_load(
            """
version: "1.0"
tasks:
  - {name: a, action: core.noop, on_complete: d, on_failure: c, on_success: b, on_timeout: e}
  - {name: b, action: core.noop}
  - {name: c, action: core.noop}
  - {name: d, action: core.noop}
  - {name: e, action: core.noop}
"""
        )
    )
    assert [(t.when_text, t.do) for t in workflow.tasks["a"].next] == [
        ("{{ succeeded() }}", ("b",)),
        ("{{ failed() and not timed_out() }}", ("c",)),  # (a timeout: on_timeout only)
        ("{{ timed_out() }}", ("e",)),
        (None, ("d",)),
    ]


@pytest.mark.parametrize(
    "document",
    [None, [], {"version": 1.0}, {"tasks": "a, b"}],
)
def test_what_is_not_a_workflow_is_refused_with_a_reason(document: Any) -> None:
    with pytest.raises(InvalidWorkflow) as refused:
        parse_workflow(document)
    assert refused.value.problems and str(refused.value)


def test_yaql_calls_with_a_bare_name_are_refused_pointing_at_them() -> None:
    assert problems(
        """
version: 1.0
tasks:
  a:
    action: core.echo
    input: {message: "hello <% ctx(who) %>", host: "{{ item(host) }}", ok: "{{ ctx('who') }}"}
    next: [{when: "ctx(go)", do: b}]
  b: {action: core.noop}
"""
    ) == {
        "tasks.a.input.message": "bad expression: ctx(who) is YAQL syntax at 1:10: "
        "write ctx('who') or ctx().who",
        "tasks.a.input.host": "bad expression: item(host) is YAQL syntax at 1:4: "
        "write item('host')",
        "tasks.a.next[0].when": "bad expression: ctx(go) is YAQL syntax at 1:1: "
        "write ctx('go') or ctx().go",
    }
