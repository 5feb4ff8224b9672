"""Orquesta's workflow functions, through a `RunContext`: ctx(), result(), succeeded(),
failed(), completed(), timed_out(), item(), task_status() behave as in Orquesta, and refuse
(`NotInWorkflow`) where there is no workflow run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from attune.domain.expressions import (
    ExpressionTypeError,
    ExpressionValueError,
    NotInWorkflow,
    RunContext,
    UndefinedName,
    compile_expression,
)


@dataclass
class FakeRun:
    """A run as the workflow engine would lend it; a test double, so a unit test."""

    current_status: str | None = "succeeded"
    current_result: Any = None
    statuses: dict[str, str] = field(default_factory=dict)
    workflow_variables: dict[str, Any] = field(default_factory=dict)
    current_item: Any = None

    def result(self) -> Any:
        return self.current_result

    def status(self) -> str | None:
        return self.current_status

    def task_status(self, name: str) -> str | None:
        return self.statuses.get(name)

    def variables(self) -> Mapping[str, Any]:
        return self.workflow_variables

    def item(self) -> Any:
        return self.current_item


def run_value(text: str, run: RunContext | None) -> Any:
    return compile_expression(text).evaluate({}, run)


def test_the_fake_is_a_run_context() -> None:
    run: RunContext = FakeRun()  # mypy checks the Protocol here
    assert run.status() == "succeeded"


@pytest.mark.parametrize(
    ("status", "succeeded", "failed", "completed", "timed_out"),
    [
        ("succeeded", True, False, True, False),
        ("failed", False, True, True, False),
        ("timeout", False, True, True, True),  # Orquesta's expired status: a failure
        ("abandoned", False, True, True, False),
        ("canceled", False, False, True, False),
        ("running", False, False, False, False),
        ("pending", False, False, False, False),
    ],
)
def test_status_functions(
    status: str, succeeded: bool, failed: bool, completed: bool, timed_out: bool
) -> None:
    run = FakeRun(current_status=status)
    assert run_value("succeeded()", run) is succeeded
    assert run_value("failed()", run) is failed
    assert run_value("completed()", run) is completed
    assert run_value("timed_out()", run) is timed_out
    assert run_value("not failed()", run) is not failed


def test_result_is_the_current_task_s_result() -> None:
    run = FakeRun(current_result={"code": 200, "status": "ok", "items": [1, 2]})
    assert run_value("succeeded() and result().code == 200", run) is True
    assert run_value('result().status == "ok" or result().status == "accepted"', run) is True
    assert run_value("length(result().items)", run) == 2
    assert run_value("result()", FakeRun()) is None
    with pytest.raises(UndefinedName, match=r"undefined name 'result\(\).missing' at 1:10"):
        run_value("result().missing", run)


def test_ctx_is_the_workflow_variables_without_internal_ones() -> None:
    run = FakeRun(workflow_variables={"count": 2, "name": "n", "__state": {"x": 1}})
    assert run_value("ctx()", run) == {"count": 2, "name": "n"}
    assert run_value("ctx('count') + 1", run) == 3
    assert run_value("ctx().name", run) == "n"
    assert run_value("ctx('')", run) == {"count": 2, "name": "n"}  # Orquesta: no key, all
    with pytest.raises(UndefinedName, match="ctx\\(\\) has no variable 'absent' at 1:5"):
        run_value("ctx('absent')", run)
    with pytest.raises(ExpressionValueError, match="internal variable '__state'"):
        run_value("ctx('__state')", run)
    with pytest.raises(ExpressionTypeError, match="ctx\\(\\) expects a string, got integer"):
        run_value("ctx(1)", run)


def test_item_is_the_current_item_or_one_of_its_keys() -> None:
    run = FakeRun(current_item={"host": "a", "port": 22})
    assert run_value("item()", run) == {"host": "a", "port": 22}
    assert run_value("item('host') + ':' + string(item('port'))", run) == "a:22"
    assert run_value("item().port", run) == 22
    with pytest.raises(UndefinedName, match="item\\(\\) has no key 'user' at 1:6"):
        run_value("item('user')", run)
    with pytest.raises(ExpressionTypeError, match="item\\(\\) is string, not an object"):
        run_value("item('x')", FakeRun(current_item="plain"))
    assert run_value("item()", FakeRun(current_item="plain")) == "plain"


def test_task_status_of_a_task_and_of_one_that_has_not_run() -> None:
    run = FakeRun(statuses={"fetch": "succeeded", "push": "failed"})
    assert run_value("task_status('fetch')", run) == "succeeded"
    assert run_value("task_status('push') == 'failed'", run) is True
    # Orquesta answers its UNSET status, the string "null", for a task with no status yet.
    assert run_value("task_status('later')", run) == "null"
    with pytest.raises(ExpressionTypeError, match="task_status\\(\\) expects a string"):
        run_value("task_status(1)", run)


def test_json_needs_no_run() -> None:
    assert run_value('json("[1, 2]")', None) == [1, 2]


@pytest.mark.parametrize(
    "function",
    [
        "ctx()",
        "result()",
        "succeeded()",
        "failed()",
        "completed()",
        "timed_out()",
        "item()",
        "task_status('t')",
        "ctx('x')",
        "item('x')",
    ],
)
def test_workflow_functions_refuse_outside_a_workflow(function: str) -> None:
    name = function[: function.index("(")]
    with pytest.raises(NotInWorkflow) as raised:
        run_value(f"true and {function}", None)
    assert str(raised.value) == f"{name}() is only available inside a workflow at 1:10"


def test_status_functions_refuse_where_no_task_is_current() -> None:
    # Orquesta refuses these outside a task's transitions (no current task).
    with pytest.raises(NotInWorkflow, match="succeeded\\(\\) is only available where a task"):
        run_value("succeeded()", FakeRun(current_status=None))


def test_the_run_s_own_errors_pass_through() -> None:
    class Broken(FakeRun):
        def result(self) -> Any:
            raise ConnectionError("store down")

    with pytest.raises(ConnectionError):
        run_value("result()", Broken())
