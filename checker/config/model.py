"""The config file's model: one Config of endpoints, a burst and server modes (checker.config.servers)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from checker.app_server.target import parse_target
from checker.config.common import (
    DEFAULT_BASELINE_TOLERANCE,
    ENV_NAME,
    Burst,
    Endpoint,
    NoNul,
    RequestPath,
    StrictModel,
)
from checker.config.servers import AnyMode, Mode


class Config(StrictModel):
    """A burstcheck config file."""

    interface: Literal["wsgi", "asgi"] | None = Field(
        None,
        description="Whether `app` is a WSGI app (werkzeug, gunicorn, waitress) or an ASGI app (uvicorn,"
        " hypercorn). Default: what the modes' servers serve; an error where they disagree with it.",
    )
    app: str | None = Field(
        None,
        description="WSGI or ASGI app: 'package.module:attribute', a factory 'module:create_app()' with literal"
        " arguments ('module:create_app(\"prod\", debug=False)'), or a Django project's 'mysite.wsgi:application'"
        " (not needed by command modes).",
    )
    python: NoNul | None = Field(
        None,
        min_length=1,
        description="The interpreter of the app's environment: a path relative to this file"
        " ('.venv/bin/python') or a command on PATH. Default: a .venv beside this file, else an active"
        " virtualenv that is not burstcheck's own, else burstcheck's interpreter.",
    )
    env: dict[Annotated[str, Field(pattern=ENV_NAME)], NoNul] = Field(
        default_factory=dict,
        description="Environment variables for every server, e.g. DJANGO_SETTINGS_MODULE: mysite.settings.",
    )
    app_dir: NoNul | None = Field(
        None, description="Folder to import the app from, relative to the config file (default: its folder)."
    )
    endpoints: list[Endpoint] = Field(min_length=1, description="Endpoints to burst; each is measured per mode.")
    burst: Burst = Field(default_factory=Burst, description="How each mode is measured.")
    boot_timeout: float = Field(20.0, gt=0, le=600, description="Seconds a server may take to answer.")
    inject_delay_ms: float = Field(
        0,
        ge=0,
        le=60_000,
        description="Sleep this long in burstcheck's middleware before the app runs, so that a server's own"
        " serialization shows even on a fast endpoint (measures the server, not locks inside the app).",
    )
    control_path: RequestPath | None = Field(
        None,
        description="A path of the app that does no work (a health check). For `command` servers, which"
        " burstcheck cannot wrap, a burst to it measures the per-request overhead of client, network and server,"
        " and the verdict uses client-side C with that overhead taken out.",
    )
    modes: list[Mode] = Field(min_length=1, description="Server modes, each with the concurrency it must show.")
    baseline_tolerance: float = Field(
        DEFAULT_BASELINE_TOLERANCE,
        ge=0,
        lt=1,
        description="With --baseline: a measured concurrency below (1 - this) x the baseline's is a regression."
        " The default is above the repeat-to-repeat variation the accuracy benchmark measured.",
    )
    fail_on_regression: bool = Field(
        False,
        description="With --baseline: a regression fails its result even where the expectation still passes"
        " (otherwise it is shown and annotated as a warning).",
    )

    @field_validator("app")
    @classmethod
    def _app_target(cls, value: str | None) -> str | None:
        if value is not None:
            parse_target(value)  # the server entry's own parser: what passes here, it can load
        return value

    def delay_ms(self, mode: AnyMode) -> float:
        return self.inject_delay_ms if mode.inject_delay_ms is None else mode.inject_delay_ms

    def env_for(self, mode: AnyMode) -> dict[str, str]:
        return {**self.env, **mode.env}
