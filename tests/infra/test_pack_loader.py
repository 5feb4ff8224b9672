"""The pack loader: shipped packs, and what a pack author sees when a file is wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from attune.infra.pack_loader import (
    LoadedPack,
    PackLoadError,
    entry_point_path,
    find_packs,
    load_pack,
    load_packs,
    shipped_packs_root,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text).lstrip("\n"))
    return path


def make_pack(root: Path, ref: str) -> Path:
    directory = root / ref
    write(directory / "pack.yaml", f"ref: {ref}\nlabel: {ref.title()}\n")
    return directory


def write_noop(pack: Path, name: str) -> Path:
    return write(pack / "actions" / f"{name}.yaml", "runner_type: noop\n")


def problems_of(loaded: LoadedPack) -> list[str]:
    return [str(problem) for problem in loaded.problems]


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A packs root; problems name files relative to the current directory, so go there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path / "packs"


@pytest.fixture(scope="module")
def shipped() -> dict[str, LoadedPack]:
    packs, problems = load_packs(find_packs([shipped_packs_root()]))
    assert problems == []
    return {loaded.pack.ref: loaded for loaded in packs}


def test_the_shipped_packs_are_core_and_examples_and_load_cleanly(
    shipped: dict[str, LoadedPack],
) -> None:
    assert sorted(shipped) == ["core", "examples"]
    assert all(loaded.problems == [] for loaded in shipped.values())


def test_core_ships_echo_noop_local_and_the_interval_timer(shipped: dict[str, LoadedPack]) -> None:
    core = shipped["core"]
    actions = {action.ref: action for action in core.actions}
    assert sorted(actions) == ["core.echo", "core.local", "core.noop"]

    echo = actions["core.echo"]
    assert (echo.pack, echo.name, echo.runner_type) == ("core", "echo", "python-script")
    assert echo.entry_point == "echo.py"
    assert echo.parameters["message"].type == "string"
    assert echo.parameters["message"].required

    assert actions["core.noop"].runner_type == "noop"
    assert actions["core.noop"].parameters == {}

    local = actions["core.local"]
    assert local.runner_type == "local-shell-cmd"
    assert local.parameters["cmd"].required
    assert not local.parameters["cwd"].required

    cron, date, timer, webhook = core.trigger_types
    assert [t.ref for t in core.trigger_types] == [
        "core.crontimer",
        "core.datetimer",
        "core.intervaltimer",
        "core.webhook",
    ]
    assert cron.parameters["misfire"].enum == ["latest", "skip"]
    assert date.parameters["date"].required
    assert webhook.parameters["url"].required and webhook.payload["body"].type == "any"
    assert timer.parameters["unit"].enum == ["seconds", "minutes", "hours", "days"]
    assert timer.parameters["unit"].default == "seconds"
    assert not timer.parameters["unit"].required
    assert (timer.parameters["delta"].type, timer.parameters["delta"].required) == (
        "integer",
        True,
    )
    assert timer.payload["executed_at"].type == "string"
    assert timer.payload["schedule"].type == "object"


def test_examples_ships_the_hello_world_rule(shipped: dict[str, LoadedPack]) -> None:
    [rule] = shipped["examples"].rules
    assert rule.ref == "examples.hello_world"
    assert rule.trigger == "core.intervaltimer"
    assert rule.trigger_params == {"unit": "seconds", "delta": 10}
    assert rule.action == "core.echo"
    assert rule.action_params == {"message": "hello, world"}
    assert rule.enabled


def test_echo_prints_the_message_it_reads_from_stdin(shipped: dict[str, LoadedPack]) -> None:
    core = shipped["core"]
    [echo] = [action for action in core.actions if action.name == "echo"]
    assert echo.entry_point is not None
    script = entry_point_path(core.directory, echo.entry_point)
    run = subprocess.run(
        [sys.executable, str(script)],
        input=json.dumps({"message": "hi"}),
        capture_output=True,
        text=True,
        env={},  # parameters come on stdin, never from the environment
        timeout=30,
    )
    assert (run.returncode, run.stdout, run.stderr) == (0, "hi\n", "")


def test_a_pack_with_malformed_yaml_is_reported_by_file_and_line_and_the_others_load(
    root: Path,
) -> None:
    make_pack(root, "good")
    write_noop(root / "good", "ping")
    write(root / "broken" / "pack.yaml", "ref: broken\nlabel: Broken: pack\n")

    packs, problems = load_packs(find_packs([root]))

    assert [loaded.pack.ref for loaded in packs] == ["good"]
    assert [action.ref for action in packs[0].actions] == ["good.ping"]
    assert [str(p) for p in problems] == [
        "packs/broken/pack.yaml:2: mapping values are not allowed here"
    ]


def test_one_malformed_component_file_does_not_stop_the_rest_of_its_pack(root: Path) -> None:
    pack = make_pack(root, "mixed")
    write_noop(pack, "fine")
    write(
        pack / "actions" / "bad.yaml",
        """
        description: a bad one
        runner_type: noop
        parameters:
          x:
            type: string
        description: oops: extra colon
        """,
    )

    loaded = load_pack(pack)

    assert [action.ref for action in loaded.actions] == ["mixed.fine"]
    assert problems_of(loaded) == [
        "packs/mixed/actions/bad.yaml:6: mapping values are not allowed here"
    ]


def test_a_missing_required_field_is_named_with_its_file(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(pack / "actions" / "restart.yaml", "description: restart a service\n")

    loaded = load_pack(pack)

    assert loaded.actions == []
    assert problems_of(loaded) == [
        "packs/ops/actions/restart.yaml:1: field 'runner_type': Field required"
    ]


def test_a_wrong_field_value_is_named_with_its_line(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(
        pack / "actions" / "restart.yaml",
        """
        description: restart a service
        runner_type: shell
        timeout: ten minutes
        """,
    )

    [runner_type, timeout] = problems_of(load_pack(pack))

    assert runner_type.startswith(
        "packs/ops/actions/restart.yaml:2: field 'runner_type': Input should be 'noop', "
    )
    assert timeout.startswith("packs/ops/actions/restart.yaml:3: field 'timeout': ")


def test_a_nested_mistake_points_at_its_own_line(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(
        pack / "triggers" / "webhook.yaml",
        """
        description: fires on a POST
        parameters:
          url:
            type: string
            requird: true
        """,
    )

    [problem] = problems_of(load_pack(pack))

    assert problem == (
        "packs/ops/triggers/webhook.yaml:5: field 'parameters.url.requird': "
        "Extra inputs are not permitted"
    )


def test_a_rule_with_a_malformed_trigger_ref_is_reported(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(
        pack / "rules" / "nightly.yaml",
        """
        trigger: intervaltimer
        trigger_params: {unit: days, delta: 1}
        action: core.noop
        """,
    )

    [problem] = problems_of(load_pack(pack))

    assert problem.startswith(
        "packs/ops/rules/nightly.yaml:1: field 'trigger': String should match pattern"
    )


def test_an_entry_point_that_does_not_exist_is_named(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(
        pack / "actions" / "backup.yaml",
        """
        runner_type: python-script
        entry_point: backup.py
        """,
    )

    loaded = load_pack(pack)

    assert loaded.actions == []
    assert problems_of(loaded) == [
        "packs/ops/actions/backup.yaml:2: field 'entry_point': "
        "'backup.py' does not exist (packs/ops/actions/backup.py)"
    ]


def test_a_script_runner_without_an_entry_point_is_reported(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(pack / "actions" / "backup.yaml", "runner_type: local-shell-script\n")

    assert problems_of(load_pack(pack)) == [
        "packs/ops/actions/backup.yaml:1: runner_type 'local-shell-script' needs an entry_point"
    ]


def test_an_entry_point_stays_relative_to_the_actions_directory(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(pack / "actions" / "scripts" / "backup.sh", "echo backing up\n")
    write(
        pack / "actions" / "backup.yaml",
        """
        runner_type: local-shell-script
        entry_point: scripts/backup.sh
        """,
    )

    [backup] = load_pack(pack).actions

    assert backup.entry_point == "scripts/backup.sh"
    assert entry_point_path(pack, backup.entry_point).read_text() == "echo backing up\n"


def test_a_duplicate_ref_in_a_pack_is_reported_and_the_first_definition_kept(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(pack / "actions" / "ping.yaml", "runner_type: noop\ndescription: the first\n")
    write(pack / "actions" / "ping_copy.yaml", "name: ping\nrunner_type: noop\n")

    loaded = load_pack(pack)

    assert [(a.ref, a.description) for a in loaded.actions] == [("ops.ping", "the first")]
    assert problems_of(loaded) == [
        "packs/ops/actions/ping_copy.yaml:1: duplicate ref 'ops.ping' "
        "(already defined in packs/ops/actions/ping.yaml)"
    ]


def test_a_duplicate_pack_ref_is_reported_and_the_first_pack_kept(
    root: Path, tmp_path: Path
) -> None:
    make_pack(root, "ops")
    write_noop(root / "ops", "ping")
    other_root = tmp_path / "more"
    write(other_root / "ops2" / "pack.yaml", "label: Another\nref: ops\n")

    packs, problems = load_packs(find_packs([root, other_root]))

    assert [(p.pack.ref, p.pack.label) for p in packs] == [("ops", "Ops")]
    assert [str(p) for p in problems] == [
        "more/ops2/pack.yaml:2: duplicate pack ref 'ops' (already loaded from packs/ops)"
    ]


def test_a_ref_that_does_not_match_the_pack_and_name_is_reported(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(pack / "actions" / "ping.yaml", "ref: core.ping\nrunner_type: noop\n")
    write(pack / "actions" / "pong.yaml", "pack: core\nrunner_type: noop\n")

    assert problems_of(load_pack(pack)) == [
        "packs/ops/actions/ping.yaml:1: field 'ref': "
        "'core.ping' does not match the pack and name (expected 'ops.ping')",
        "packs/ops/actions/pong.yaml:1: field 'pack': 'core' is not this pack ('ops')",
    ]


def test_ref_pack_and_name_are_derived_or_may_be_given(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(pack / "actions" / "a.yaml", "runner_type: noop\n")
    write(pack / "actions" / "b.yml", "name: bee\nrunner_type: noop\n")
    write(pack / "actions" / "c.yaml", "ref: ops.c\npack: ops\nname: c\nrunner_type: noop\n")

    actions = load_pack(pack).actions

    assert [(a.ref, a.pack, a.name) for a in actions] == [
        ("ops.a", "ops", "a"),
        ("ops.bee", "ops", "bee"),
        ("ops.c", "ops", "c"),
    ]


def test_files_that_are_not_yaml_are_ignored(root: Path) -> None:
    pack = make_pack(root, "ops")
    write_noop(pack, "ping")
    write(pack / "actions" / "README.md", "# notes: not: yaml\n")
    write(pack / "rules" / "draft.yaml.bak", "{{{")
    write(pack / "sensors" / "watch.yaml", "{{{")

    loaded = load_pack(pack)

    assert [action.ref for action in loaded.actions] == ["ops.ping"]
    assert loaded.problems == []


def test_a_file_that_is_not_a_mapping_is_reported(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(pack / "rules" / "empty.yaml", "")
    write(pack / "rules" / "list.yaml", "- trigger: core.intervaltimer\n")

    assert problems_of(load_pack(pack)) == [
        "packs/ops/rules/empty.yaml: expected a mapping of fields, found an empty file",
        "packs/ops/rules/list.yaml:1: expected a mapping of fields, found a list",
    ]


def test_a_pack_yaml_with_a_schema_error_fails_the_pack(root: Path) -> None:
    write(root / "ops" / "pack.yaml", "ref: Ops Pack\nlabel: Ops\n")

    with pytest.raises(PackLoadError) as raised:
        load_pack(root / "ops")

    [problem] = map(str, raised.value.problems)
    assert problem.startswith("packs/ops/pack.yaml:1: field 'ref': String should match pattern")


def test_a_directory_without_pack_yaml_is_not_a_pack(root: Path) -> None:
    (root / "notes").mkdir(parents=True)

    assert find_packs([root]) == []
    with pytest.raises(PackLoadError, match=r"packs/notes/pack.yaml: missing"):
        load_pack(root / "notes")


def test_find_packs_takes_packs_under_a_root_or_the_root_itself_once_each(
    root: Path, tmp_path: Path
) -> None:
    make_pack(root, "zeta")
    make_pack(root, "alpha")
    single = make_pack(tmp_path / "elsewhere", "solo")

    found = find_packs([root, single, root, tmp_path / "missing"])

    assert found == [(root / "alpha").resolve(), (root / "zeta").resolve(), single.resolve()]


def test_problems_outside_the_current_directory_show_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = make_pack(tmp_path / "packs", "ops")
    write(pack / "actions" / "bad.yaml", "runner_type: [\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")

    [problem] = problems_of(load_pack(pack))

    assert problem.startswith(f"{(pack / 'actions' / 'bad.yaml').resolve()}:2: ")


BAD_RULES = {
    "unknown_action.yaml": "trigger: core.intervaltimer\ntrigger_params: {delta: 1}\n"
    "action: ops.nosuch\n",
    "unknown_trigger.yaml": "trigger: core.sundial\naction: core.noop\n",
    "bad_params.yaml": "trigger: core.intervaltimer\naction: core.noop\n"
    "trigger_params:\n  delta: 1\n  unit: fortnights\n",
    "good.yaml": "trigger: core.intervaltimer\ntrigger_params: {delta: 1}\naction: core.noop\n",
}


def test_rules_that_do_not_fit_the_loaded_catalogue_are_problems_with_file_and_line(
    root: Path,
) -> None:
    pack = make_pack(root, "ops")
    for name, text in BAD_RULES.items():
        write(pack / "rules" / name, text)

    packs, problems = load_packs([shipped_packs_root() / "core", pack])

    [ops] = [p for p in packs if p.pack.ref == "ops"]
    assert problems == [] and [r.ref for r in ops.rules] == ["ops.good"]
    assert sorted(problems_of(ops)) == [
        "packs/ops/rules/bad_params.yaml:5: field 'trigger_params.unit': "
        "must be one of ['seconds', 'minutes', 'hours', 'days']",
        "packs/ops/rules/unknown_action.yaml:3: field 'action': unknown action 'ops.nosuch'",
        "packs/ops/rules/unknown_trigger.yaml:1: field 'trigger': "
        "unknown trigger type 'core.sundial'",
    ]


CONFIG_SCHEMA = """
api_url: {type: string, required: true}
retries: {type: integer, default: 3}
token: {type: string, secret: true, required: true}
"""


def test_a_config_schema_and_a_configs_file_are_read_and_checked(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(pack / "config.schema.yaml", CONFIG_SCHEMA)
    write(root.parent / "configs" / "ops.yaml", "api_url: https://pd.example\ntoken: t0k3n\n")

    [loaded], problems = load_packs([pack], config_directories=[root.parent / "configs"])

    assert problems == [] and loaded.problems == []
    schema = loaded.pack.config_schema
    assert schema["token"].secret and schema["retries"].default == 3
    assert loaded.config == {"api_url": "https://pd.example", "token": "t0k3n"}


def test_a_configs_file_that_does_not_fit_is_named_with_its_lines(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(pack / "config.schema.yaml", CONFIG_SCHEMA)
    write(root.parent / "configs" / "ops.yaml", "api_url: 7\nretries: 2\ncolour: red\n")

    [loaded], _ = load_packs([pack], config_directories=[root.parent / "configs"])

    assert loaded.config is None
    assert sorted(problems_of(loaded)) == [
        "configs/ops.yaml:1: field 'api_url': must be of type string, got int",
        "configs/ops.yaml:1: field 'token': is required",
        "configs/ops.yaml:3: field 'colour': is not a parameter of pack ops config",
    ]


def test_a_bad_config_schema_fails_its_pack_naming_its_line(root: Path) -> None:
    pack = make_pack(root, "ops")
    write(pack / "config.schema.yaml", "api_url: {type: string}\nretries: {type: count}\n")

    loaded, [problem] = load_packs([pack])

    assert loaded == []
    assert str(problem).startswith("packs/ops/config.schema.yaml:2: field 'retries.type': ")
