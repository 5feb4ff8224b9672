"""`infra/compose.yaml` and `docs/deploy.md` agree with the command line."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from attune.infra.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def _resolve(command: list[str]) -> click.Command:
    """The click command that `attune ARGS` runs; fails if a word is not a command."""
    assert command[0] == "attune", command
    found: click.Command = main
    for word in command[1:]:
        if word.startswith("-") or not isinstance(found, click.Group):
            break
        sub = found.get_command(click.Context(found), word)
        assert sub is not None, f"`{' '.join(command)}`: no command '{word}'"
        found = sub
    return found


def _options(command: click.Command) -> set[str]:
    return {name for p in command.params for name in getattr(p, "opts", [])}


def test_every_compose_service_runs_an_existing_command_with_existing_options() -> None:
    compose = yaml.safe_load((ROOT / "infra" / "compose.yaml").read_text())
    commands = {
        name: service["command"]
        for name, service in compose["services"].items()
        if "command" in service
    }
    assert {"api", "commands", "relay", "streams", "worker", "project", "topics"} <= set(commands)
    for name, command in commands.items():
        resolved = _resolve(command)
        given = {word for word in command if word.startswith("--")}
        assert given <= _options(resolved), f"service {name}: unknown options {given}"


def test_the_deploy_guide_names_every_process_of_the_compose_file() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    compose = yaml.safe_load((ROOT / "infra" / "compose.yaml").read_text())
    for service in compose["services"].values():
        if "command" in service:
            assert f"`{' '.join(service['command'][:2])}" in guide, service["command"]
