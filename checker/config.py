"""The config model: one declarative pydantic model per concept, unknown keys rejected.

Field descriptions double as the JSON schema (`burstcheck schema`) and the README's config guide.
"""

from __future__ import annotations

import re
import shlex
import string
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from checker.app_server.serve import parse_target

# `expect: serialized` means "at most this measured concurrency": one-after-another requests measure
# ~1.0; 1.5 leaves room for noise while staying far below any real overlap of 2 requests.
SERIALIZED_MAX_CONCURRENCY = 1.5
# `expect: concurrent` means "at least this share of the burst ran at once": 0.8 * N tolerates connection
# set-up and scheduling jitter on a loaded 2-core runner, yet fails any server capped below N.
CONCURRENT_MIN_FRACTION = 0.8

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
# A drop of more than this share against the baseline is a regression: above the variation between two runs
# of the same cell that the accuracy benchmark measured (README, "Comparing with main").
DEFAULT_BASELINE_TOLERANCE = 0.25
# A request path as it goes on the request line: no whitespace or control characters (write %20 for a space).
REQUEST_PATH = re.compile(r"^/[^\s\x00-\x1f\x7f]*$")
# RFC 9110 token: what a header name may hold; anything else is refused by the HTTP client at run time.
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# Control characters other than tab; in a header value they end the header (CR/LF) or are refused.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
COMMAND_PLACEHOLDERS = ("host", "port", "python")


class StrictModel(BaseModel):
    # NaN and infinity pass every bound check in pydantic's eyes; no field of a config means either.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


NoNul = Annotated[str, AfterValidator(_no_nul)]


def _request_path(value: str) -> str:
    if not REQUEST_PATH.match(value):
        raise ValueError("a path starts with '/' and holds no spaces or control characters (write %20 for a space)")
    return value


RequestPath = Annotated[str, AfterValidator(_request_path)]


class Endpoint(StrictModel):
    """One HTTP request that each burst sends N times at once."""

    path: RequestPath = Field(description="Request path, starting with '/', e.g. /slow?n=1 (no spaces: write %20).")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = Field(
        "GET", description="HTTP method."
    )
    headers: dict[str, str] = Field(default_factory=dict, description="Extra request headers.")
    body: str | None = Field(None, description="Request body, sent as UTF-8.")
    expect_status: int = Field(200, ge=100, le=599, description="Status every response must have.")

    @field_validator("headers")
    @classmethod
    def _sendable_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not HEADER_NAME.match(name):
                raise ValueError(f"header name {name!r} may hold only letters, digits and !#$%&'*+-.^_`|~")
            if CONTROL_CHARACTERS.search(value):
                raise ValueError(f"header {name}: the value holds a control character (CR, LF, ...)")
            if value != value.strip(" \t"):
                raise ValueError(f"header {name}: the value starts or ends with whitespace")
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                raise ValueError(
                    f"header {name}: HTTP header values are Latin-1; percent-encode other text ({value!r})"
                ) from None
        return headers

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


class Burst(StrictModel):
    """How each mode is measured."""

    requests: int = Field(10, ge=2, le=2000, description="Simultaneous requests in one burst (N).")
    repeats: int = Field(3, ge=1, le=50, description="Bursts per mode; the verdict uses the median.")
    timeout: float = Field(30.0, gt=0, le=3600, description="Seconds each request may take.")
    calibration_requests: int = Field(
        5, ge=1, le=100, description="Sequential requests: their median latency is L1, their time in the app S."
    )


class Expectation(StrictModel):
    """Bounds on the measured concurrency (allowed concurrency, or client-side C for command servers)."""

    min_concurrency: float | None = Field(None, gt=0, description="Fail when the measured concurrency is below this.")
    max_concurrency: float | None = Field(None, gt=0, description="Fail when the measured concurrency is above this.")
    keyword: Literal["serialized", "concurrent"] | None = Field(
        None, description="Set by the short forms `expect: serialized` and `expect: concurrent`."
    )

    @field_validator("max_concurrency")
    @classmethod
    def _max_not_below_min(cls, value: float | None, info: ValidationInfo) -> float | None:
        low = info.data.get("min_concurrency")
        if value is not None and low is not None and value < low:
            raise ValueError(f"max_concurrency ({value:g}) is below min_concurrency ({low:g})")
        return value

    @model_validator(mode="after")
    def _some_bound(self) -> Expectation:
        if self.keyword is None and self.min_concurrency is None and self.max_concurrency is None:
            raise ValueError("give min_concurrency, max_concurrency or both")
        return self

    def bounds(self, requests: int) -> tuple[float | None, float | None]:
        """(min, max) measured concurrency for a burst of `requests`."""
        if self.keyword == "concurrent":
            return CONCURRENT_MIN_FRACTION * requests, None
        return self.min_concurrency, self.max_concurrency

    def describe(self, requests: int) -> str:
        low, high = self.bounds(requests)
        parts = [f">= {low:g}"] if low is not None else []
        parts += [f"<= {high:g}"] if high is not None else []
        text = " and ".join(parts)
        return f"{self.keyword} ({text})" if self.keyword else text


def _expand_keyword(value: Any) -> Any:
    if value == "serialized":
        return {"max_concurrency": SERIALIZED_MAX_CONCURRENCY, "keyword": "serialized"}
    if value == "concurrent":
        return {"keyword": "concurrent"}
    if isinstance(value, dict) and "keyword" in value:
        raise ValueError("'keyword' is set by the short forms; write `expect: serialized` instead")
    if not isinstance(value, dict):
        raise ValueError("expect must be 'serialized', 'concurrent' or a mapping with min_concurrency/max_concurrency")
    return value


ExpectField = Annotated[Expectation, BeforeValidator(_expand_keyword)]


class ModeBase(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Unique name, shown in reports and used by --modes.")
    expect: ExpectField = Field(description="'serialized', 'concurrent' or {min_concurrency, max_concurrency}.")
    inject_delay_ms: float | None = Field(
        None,
        ge=0,
        le=60_000,
        description="Sleep this long in burstcheck's middleware before the app runs (overrides the global one).",
    )
    python: NoNul | None = Field(
        None, min_length=1, description="The app's interpreter for this mode (overrides python:)."
    )
    env: dict[Annotated[str, Field(pattern=ENV_NAME)], NoNul] = Field(
        default_factory=dict, description="Environment variables for this mode's server, on top of the config's env:."
    )

    @property
    def label(self) -> str:
        """How reports name the server, e.g. 'gunicorn gthread workers=2 threads=4'."""
        raise NotImplementedError


class WerkzeugMode(ModeBase):
    """werkzeug's development server (`run_simple`)."""

    server: Literal["werkzeug"] = "werkzeug"
    threaded: bool = Field(False, description="A thread per request.")
    processes: int = Field(1, ge=1, le=64, description="Fork a process per request, at most this many at once.")

    @field_validator("processes")
    @classmethod
    def _not_threaded_and_forked(cls, value: int, info: ValidationInfo) -> int:
        if value > 1 and info.data.get("threaded"):
            raise ValueError("threaded: true cannot be combined with processes > 1 (werkzeug does one or the other)")
        return value

    @property
    def label(self) -> str:
        return f"werkzeug processes={self.processes}" if self.processes > 1 else f"werkzeug threaded={self.threaded}"


class GunicornMode(ModeBase):
    """gunicorn (extra `burstcheck[servers]`): sync workers, or gthread workers with threads."""

    server: Literal["gunicorn"]
    workers: int = Field(1, ge=1, le=64, description="Worker processes.")
    worker_class: Literal["sync", "gthread"] = Field("sync", description="sync: one request per worker at a time.")
    threads: int = Field(1, ge=1, le=256, description="Threads per worker (gthread only).")

    @field_validator("threads")
    @classmethod
    def _threads_need_gthread(cls, value: int, info: ValidationInfo) -> int:
        if value > 1 and info.data.get("worker_class") != "gthread":
            raise ValueError("threads > 1 needs worker_class: gthread (sync workers ignore threads)")
        return value

    @property
    def label(self) -> str:
        threads = f" threads={self.threads}" if self.worker_class == "gthread" else ""
        return f"gunicorn {self.worker_class} workers={self.workers}{threads}"


class WaitressMode(ModeBase):
    """waitress (extra `burstcheck[servers]`): one process with a pool of threads."""

    server: Literal["waitress"]
    threads: int = Field(4, ge=1, le=256, description="Worker threads (waitress's default is 4).")

    @property
    def label(self) -> str:
        return f"waitress threads={self.threads}"


class AsgiModeBase(ModeBase):
    """An ASGI server: worker processes that share one listening socket, each with its own event loop."""

    workers: int = Field(1, ge=1, le=64, description="Worker processes, each with its own event loop.")


class UvicornMode(AsgiModeBase):
    """uvicorn (extra `burstcheck[asgi]`): ASGI apps (FastAPI, Starlette, Quart), one event loop per worker."""

    server: Literal["uvicorn"]
    loop: Literal["auto", "asyncio", "uvloop"] = Field("auto", description="Event loop implementation.")
    http: Literal["auto", "h11", "httptools"] = Field("auto", description="HTTP protocol implementation.")

    @property
    def label(self) -> str:
        return f"uvicorn workers={self.workers} loop={self.loop} http={self.http}"


class HypercornMode(AsgiModeBase):
    """hypercorn (extra `burstcheck[asgi]`): ASGI apps on asyncio, uvloop or trio."""

    server: Literal["hypercorn"]
    worker_class: Literal["asyncio", "uvloop", "trio"] = Field("asyncio", description="The event loop.")

    @property
    def label(self) -> str:
        return f"hypercorn workers={self.workers} worker_class={self.worker_class}"


ASGI_SERVERS = ("uvicorn", "hypercorn")


def fill_command(template: str, *, host: str, port: int, python: str) -> list[str]:
    """Split a command template as a shell would (it runs without one) and fill in its placeholders."""
    return [word.format(host=host, port=port, python=python) for word in shlex.split(template)]


def _command_problem(template: str) -> str | None:
    """Why `template` cannot be filled in, or None. Only bare placeholders: a format spec such as
    {port:>2000000000} would be obeyed."""
    if "\x00" in template:
        return "the command contains a NUL character"
    try:
        words = shlex.split(template)
        for word in words:
            for _, field, spec, conversion in string.Formatter().parse(word):
                if field is not None and (field not in COMMAND_PLACEHOLDERS or spec or conversion):
                    braces = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
                    return f"unknown placeholder {braces}; placeholders are {{host}}, {{port}}, {{python}}"
    except ValueError as exc:
        return f"cannot read this command ({exc}); write literal braces as {{{{ and }}}}"
    if not words:
        return "the command is empty"
    return None


class CommandMode(ModeBase):
    """Any server started by a command; client-side figures only (burstcheck cannot wrap its app)."""

    server: Literal["command"]
    command: str = Field(
        min_length=1,
        description="Command template run without a shell, with {host}, {port} and {python} filled in;"
        " it must serve on {host}:{port}. Runs in app_dir.",
    )

    @field_validator("command")
    @classmethod
    def _has_port(cls, value: str) -> str:
        problem = _command_problem(value)
        if problem is not None:
            raise ValueError(problem)
        if "{port}" not in value:
            raise ValueError("the command must contain {port}, so the server listens where burstcheck looks")
        return value

    @property
    def label(self) -> str:
        return f"command: {self.command}"


AnyMode = WerkzeugMode | GunicornMode | WaitressMode | UvicornMode | HypercornMode | CommandMode


def _server_of(value: Any) -> str | None:
    if isinstance(value, dict):
        server = value.get("server", "werkzeug")
        return server if isinstance(server, str) else repr(server)  # not a name: reported as unknown
    return getattr(value, "server", None)


Mode = Annotated[
    Annotated[WerkzeugMode, Tag("werkzeug")]
    | Annotated[GunicornMode, Tag("gunicorn")]
    | Annotated[WaitressMode, Tag("waitress")]
    | Annotated[UvicornMode, Tag("uvicorn")]
    | Annotated[HypercornMode, Tag("hypercorn")]
    | Annotated[CommandMode, Tag("command")],
    Discriminator(_server_of),
]


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
