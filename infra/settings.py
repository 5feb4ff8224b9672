"""Settings: `ATTUNE_` environment variables, then an optional `attune.yaml`, then defaults.

Every setting has a safe default for `attune up`: state under `./.attune/`, API on
127.0.0.1:8080, one local worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from attune.domain.definitions import DEFAULT_ACTION_TIMEOUT
from attune.domain.expressions import DEFAULT_LIMITS, Limits


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATTUNE_", yaml_file="attune.yaml", extra="ignore")

    state_dir: Path = Path(".attune")
    # postgresql://... puts the event store and read models in PostgreSQL (distributed mode).
    database_url: str | None = None
    database_schema: str | None = None
    kafka_bootstrap: str = "127.0.0.1:9092"  # host:port of a Kafka broker (distributed mode)
    host: str = "127.0.0.1"
    port: int = 8080
    api_url: str | None = None  # how actions and the CLI reach the API; derived if unset
    packs: list[Path] = [Path("packs")]
    examples: bool = True
    worker_concurrency: int = 8
    worker_pool: str = "local"  # the pool `attune worker` serves (distributed mode)
    heartbeat_seconds: float = 2.0  # a worker silent for three of these is declared lost
    poll_interval: float = 0.5
    aggregate_cache_size: int = 20_000
    # FULL: an accepted run survives power loss; NORMAL: it survives any crash of Attune.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "NORMAL"
    log_level: str = "info"
    # How long TimescaleDB keeps read-model rows (the event store keeps everything).
    retention_days: int = 90
    # The first admin's password; generated and printed once when unset.
    admin_password: SecretStr | None = None
    worker_token: SecretStr | None = None  # a service account's API key with `key:resolve`
    # Bounds of every expression (steps, sizes, nesting; docs/expressions.md#bounds), e.g.
    # ATTUNE_EXPRESSION_LIMITS='{"max_steps": 20000}' or in attune.yaml.
    expression_limits: Limits = DEFAULT_LIMITS
    # Request headers never stored with a webhook's trigger event, besides the credentials
    # (Authorization, Cookie, X-Api-Key, X-Attune-Signature), e.g. ["x-internal-token"].
    webhook_dropped_headers: list[str] = []
    # Timer ticks missed by at most this long all fire; older ones follow the misfire rule.
    timer_grace_seconds: float = Field(default=5.0, ge=0)
    # A run's bound when neither the request nor its action's YAML gives one.
    action_timeout_seconds: float = Field(default=DEFAULT_ACTION_TIMEOUT, gt=0)
    # The monitor times out a run still going this long past its deadline (its worker
    # stuck or silent); more than the kill grace, so a live worker ends it first.
    timeout_margin_seconds: float = Field(default=15.0, ge=0)
    # A run stopped (canceled, timed out) gets SIGTERM, then SIGKILL this long after.
    kill_grace_seconds: float = Field(default=5.0, ge=0)
    # On a stop (SIGINT, SIGTERM), runs in flight may end this long; the rest are canceled.
    stop_grace_seconds: float = Field(default=30.0, ge=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, YamlConfigSettingsSource(settings_cls))

    @property
    def base_url(self) -> str:
        return self.api_url or f"http://{self.host}:{self.port}"

    @property
    def events_db(self) -> Path:
        return self.state_dir / "events.db"

    @property
    def read_db(self) -> Path:
        return self.state_dir / "read.db"

    @property
    def signing_key_file(self) -> Path:
        return self.state_dir / "jwt.key"

    @property
    def cli_token_file(self) -> Path:
        """The local admin's API key, so the CLI on this machine needs no login."""
        return self.state_dir / "cli-token"

    @property
    def worker_token_file(self) -> Path:
        """The workers' service-account API key, kept by `attune api` (ATTUNE_WORKER_TOKEN
        overrides it)."""
        return self.state_dir / "worker-token"

    def with_overrides(self, **overrides: Any) -> Settings:
        """These settings with command-line options applied (None means 'not given')."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return self.model_copy(update=given)
