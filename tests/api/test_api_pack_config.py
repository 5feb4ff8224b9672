"""GET/PUT /api/v1/packs/{ref}/config: a pack's configuration, checked, secrets sealed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from api_harness import at
from click.testing import CliRunner
from fastapi.testclient import TestClient

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.configuration import Pack
from attune.domain.definitions import PackDefinition
from attune.domain.parameters import ParameterSpec
from attune.domain.secrets import MASK, is_sealed
from attune.infra.cli.pack_config import config
from attune.infra.settings import Settings
from attune.projections.projector import Projector

pytestmark = pytest.mark.usefixtures("live_projection")  # (PUT waits until reads show it)

TOKEN = "pagerduty-Token-8812"
OPS = PackDefinition(
    ref="ops",
    config_schema={
        "api_url": ParameterSpec(type="string", required=True),
        "retries": ParameterSpec(type="integer", default=3),
        "token": ParameterSpec(type="string", secret=True, required=True),
    },
)


@pytest.fixture(autouse=True)
def ops_pack(commands: CommandService, store: EventStore, projector: Projector) -> None:
    commands.execute(m.RegisterPack(definition=OPS, actor="l", at=at(0)))
    projector.catch_up(store)


def put(client: TestClient, values: dict[str, Any], pack: str = "ops") -> Any:
    return client.put(f"/api/v1/packs/{pack}/config", json={"values": values})


def test_values_are_checked_defaulted_and_their_secrets_sealed(
    client: TestClient, store: EventStore, projector: Projector
) -> None:
    assert client.get("/api/v1/packs/ops/config").json()["values"] == {}
    answer = put(client, {"api_url": "https://pd.example", "token": TOKEN})

    assert answer.status_code == 200, answer.text
    shown = {"api_url": "https://pd.example", "retries": 3, "token": MASK}
    assert answer.json()["values"] == shown
    projector.catch_up(store)
    read = client.get("/api/v1/packs/ops/config").json()
    assert read["values"] == shown and read["configured_at"] is not None
    pack = store.load(Pack.id_for("ops"))
    assert isinstance(pack, Pack) and pack.config is not None
    assert is_sealed(pack.config["token"]) and TOKEN not in str(pack.config)


def test_the_same_values_again_record_nothing(client: TestClient, store: EventStore) -> None:
    values = {"api_url": "https://pd.example", "token": TOKEN}
    assert put(client, values).status_code == 200
    before = store.position()
    assert put(client, values | {"retries": 3}).status_code == 200  # (its default)
    assert store.position() == before
    assert put(client, values | {"retries": 5}).status_code == 200
    assert store.position() == before + 1


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"api_url": "https://pd.example"}, ["token"]),
        ({"api_url": 7, "token": TOKEN}, ["api_url"]),
        ({"api_url": "u", "token": TOKEN, "colour": "red"}, ["colour"]),
    ],
)
def test_values_that_do_not_fit_are_422_naming_the_field(
    client: TestClient, store: EventStore, values: dict[str, Any], fields: list[str]
) -> None:
    before = store.position()
    answer = put(client, values)
    assert answer.status_code == 422, answer.text
    assert [p["parameter"] for p in answer.json()["detail"]] == fields
    assert store.position() == before


def test_an_unknown_pack_is_404(client: TestClient) -> None:
    assert put(client, {}, pack="nosuch").status_code == 404
    assert client.get("/api/v1/packs/nosuch/config").status_code == 404


def test_the_cli_sets_from_a_file_and_pairs_and_shows_secrets_masked(
    cli_in_process: None, tmp_path: Path
) -> None:
    values = tmp_path / "ops.yaml"
    values.write_text(f"api_url: https://pd.example\ntoken: {TOKEN}\n")
    runner = CliRunner()
    obj = {"settings": Settings(), "json": False}
    result = runner.invoke(config, ["set", "ops", "--file", str(values), "retries=5"], obj=obj)
    assert result.exit_code == 0, result.output
    assert result.output.split() == [
        "FIELD",
        "VALUE",
        "api_url",
        "https://pd.example",
        "retries",
        "5",
        "token",
        MASK,
    ]
    shown = runner.invoke(config, ["get", "ops", "--json"], obj=obj)
    assert json.loads(shown.output)["values"]["retries"] == 5
    refused = runner.invoke(config, ["set", "ops", "retries=many"], obj=obj)
    assert refused.exit_code == 1 and "api_url: is required" in refused.output
