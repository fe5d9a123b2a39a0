"""The servers burstcheck can boot, one config class each: the registry. A class names its server (`server:`),
the interface it serves (WSGI or ASGI) and the package it needs in the app's interpreter; its own fields are
the server's options, which reach the launcher in the app's process (checker/app_server/launchers.py) as a
typed record. Everything else - the union the config validates against, the interface check, the messages -
is derived from these classes: a new server is a class here (added to AnyMode) and a launcher there."""

from __future__ import annotations

import functools
import operator
import shlex
import string
import typing
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Discriminator, Field, Tag, ValidationInfo, field_validator

from checker.config.common import ENV_NAME, ExpectField, NoNul, StrictModel

Interface = Literal["wsgi", "asgi"]
# The warm-up burst of a server that starts a thread per request: enough to start its lazy parts.
WARM_UP_WITHOUT_POOL = 4
COMMAND_PLACEHOLDERS = ("host", "port", "python")
WAITRESS_CONNECTION_LIMIT = 100  # waitress's own default
WAITRESS_OWN_SOCKETS = 2  # its listening socket and wake-up pipe count in its connection_limit
# select() takes file descriptors below 1024; the server process holds a few of its own besides the sockets.
WAITRESS_SELECT_MAX = 1000


class ModeBase(StrictModel):
    # What the server serves and the package it needs in the app's interpreter; None for `command` servers,
    # which bring their own and are not wrapped by burstcheck.
    interface: ClassVar[Interface | None] = None
    package: ClassVar[str | None] = None

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

    @property
    def capacity(self) -> int | None:
        """How many requests the server serves at once by its settings (a pool's size); None where it takes
        one more for each request that comes (a thread per request) or burstcheck cannot know (command)."""
        return None

    def warm_up_requests(self, requests: int) -> int:
        """Requests of the untimed burst that wakes every worker before calibrating (lazy imports, pools):
        twice the pool, so that each worker likely gets one, and a few where there is no pool."""
        capacity = self.capacity
        return min(requests, 2 * capacity if capacity is not None else WARM_UP_WITHOUT_POOL)

    def server_options(self) -> dict[str, Any]:
        """The server's own fields (what the launcher's options record holds): all but the common ones."""
        return self.model_dump(exclude={*ModeBase.model_fields, "server"})

    def cap_note(self, cap: int, requests: int) -> str:
        """Which of the server's settings, or which habit of the server, explains a cap of `cap` on a burst of
        `requests`, where the settings alone do not ("" where nothing is known)."""
        return ""


class WerkzeugMode(ModeBase):
    """werkzeug's development server (`run_simple`)."""

    interface: ClassVar[Interface | None] = "wsgi"
    package: ClassVar[str | None] = "werkzeug"
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

    @property
    def capacity(self) -> int | None:
        if self.processes > 1:
            return self.processes
        return None if self.threaded else 1


class GunicornMode(ModeBase):
    """gunicorn (extra `burstcheck[servers]`): sync workers, or gthread workers with threads."""

    interface: ClassVar[Interface | None] = "wsgi"
    package: ClassVar[str | None] = "gunicorn"
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

    @property
    def capacity(self) -> int | None:
        return self.workers * self.threads

    def cap_note(self, cap: int, requests: int) -> str:
        # Each gthread worker accepts whatever connections come (up to gunicorn's worker_connections, 1000) and
        # queues those beyond its threads: measured, 1000 connections landed 8 / 158 / 347 / 487 on 4 workers of
        # 256 threads, and hey's bursts of 8 on 2 workers of 4 threads took two rounds in 5 of 6 runs.
        if self.worker_class != "gthread" or self.workers < 2 or requests <= self.threads:
            return ""
        if cap >= min(requests, self.workers * self.threads):
            return ""
        return (
            f"gunicorn's gthread workers each accept every connection they can, so the burst landed unevenly on the"
            f" {self.workers} workers: some queued requests behind their {self.threads} threads while others had"
            f" threads free ({self.workers} x {self.threads} are served at once only when the connections spread"
            " evenly); fewer workers with more threads each, or expect what was measured"
        )


class WaitressMode(ModeBase):
    """waitress (extra `burstcheck[servers]`): one process with a pool of threads."""

    interface: ClassVar[Interface | None] = "wsgi"
    package: ClassVar[str | None] = "waitress"
    server: Literal["waitress"]
    threads: int = Field(4, ge=1, le=256, description="Worker threads (waitress's default is 4).")
    asyncore_use_poll: bool = Field(
        False, description="poll() instead of select() in waitress's loop: needed past about 1000 connections."
    )
    connection_limit: int = Field(
        WAITRESS_CONNECTION_LIMIT,
        ge=WAITRESS_OWN_SOCKETS + 1,  # 2 would accept nothing
        le=10_000,
        description="Sockets waitress keeps open at once, its own two included; it stops accepting beyond them"
        " (its default is 100).",
    )

    @field_validator("connection_limit")
    @classmethod
    def _select_takes_1024_sockets(cls, value: int, info: ValidationInfo) -> int:
        if value > WAITRESS_SELECT_MAX and not info.data.get("asyncore_use_poll"):
            raise ValueError(
                f"connection_limit above {WAITRESS_SELECT_MAX} needs asyncore_use_poll: true (waitress's select()"
                " loop takes sockets numbered below 1024 only: past them the server fails every request)"
            )
        return value

    @property
    def label(self) -> str:
        limit = (
            f" connection_limit={self.connection_limit}" if self.connection_limit != WAITRESS_CONNECTION_LIMIT else ""
        )
        return f"waitress threads={self.threads}{limit}"

    @property
    def connections(self) -> int:
        """Client connections waitress keeps open at once: its limit less its own sockets."""
        return self.connection_limit - WAITRESS_OWN_SOCKETS

    @property
    def capacity(self) -> int | None:
        return min(self.threads, self.connections)

    def cap_note(self, cap: int, requests: int) -> str:
        if self.connections >= min(requests, self.threads) or cap > self.connection_limit:
            return ""
        return (
            f"waitress keeps at most connection_limit = {self.connection_limit} sockets open at once, its own two"
            f" included{' (the limit is its default)' if self.connection_limit == WAITRESS_CONNECTION_LIMIT else ''},"
            f" and the other connections wait to be accepted, whatever its {self.threads} threads; raise"
            " `connection_limit`"
        )


class CherootMode(ModeBase):
    """cheroot (CherryPy's WSGI server): one process with a pool of threads."""

    interface: ClassVar[Interface | None] = "wsgi"
    package: ClassVar[str | None] = "cheroot"
    server: Literal["cheroot"]
    threads: int = Field(10, ge=1, le=256, description="Worker threads (cheroot's numthreads; its default is 10).")

    @property
    def label(self) -> str:
        return f"cheroot threads={self.threads}"

    @property
    def capacity(self) -> int | None:
        return self.threads


class AsgiModeBase(ModeBase):
    """An ASGI server: worker processes that share one listening socket, each with its own event loop."""

    workers: int = Field(1, ge=1, le=64, description="Worker processes, each with its own event loop.")


class UvicornMode(AsgiModeBase):
    """uvicorn (extra `burstcheck[asgi]`): ASGI apps (FastAPI, Starlette, Quart), one event loop per worker."""

    interface: ClassVar[Interface | None] = "asgi"
    package: ClassVar[str | None] = "uvicorn"
    server: Literal["uvicorn"]
    loop: Literal["auto", "asyncio", "uvloop"] = Field("auto", description="Event loop implementation.")
    http: Literal["auto", "h11", "httptools"] = Field("auto", description="HTTP protocol implementation.")

    @property
    def label(self) -> str:
        return f"uvicorn workers={self.workers} loop={self.loop} http={self.http}"


class HypercornMode(AsgiModeBase):
    """hypercorn (extra `burstcheck[asgi]`): ASGI apps on asyncio, uvloop or trio."""

    interface: ClassVar[Interface | None] = "asgi"
    package: ClassVar[str | None] = "hypercorn"
    server: Literal["hypercorn"]
    worker_class: Literal["asyncio", "uvloop", "trio"] = Field("asyncio", description="The event loop.")

    @property
    def label(self) -> str:
        return f"hypercorn workers={self.workers} worker_class={self.worker_class}"


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


AnyMode = WerkzeugMode | GunicornMode | WaitressMode | CherootMode | UvicornMode | HypercornMode | CommandMode


def _server_of(value: Any) -> str | None:
    if isinstance(value, dict):
        server = value.get("server", "werkzeug")
        return server if isinstance(server, str) else repr(server)  # not a name: reported as unknown
    return getattr(value, "server", None)


MODE_CLASSES: tuple[type[ModeBase], ...] = typing.get_args(AnyMode)


def server_name(mode_class: type[ModeBase]) -> str:
    """The `server:` value of a mode class (the single value of its Literal)."""
    return str(typing.get_args(mode_class.model_fields["server"].annotation)[0])


SERVERS: dict[str, type[ModeBase]] = {server_name(cls): cls for cls in MODE_CLASSES}


def servers_of(interface: Interface) -> list[str]:
    """The servers that serve `interface`, in the registry's order."""
    return [name for name, cls in SERVERS.items() if cls.interface == interface]


def either(names: list[str]) -> str:
    """'werkzeug, gunicorn or waitress'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


if TYPE_CHECKING:
    Mode = AnyMode
else:
    # The config's `modes:` items: the class is chosen by `server:` (werkzeug when absent).
    Mode = Annotated[
        functools.reduce(operator.or_, (Annotated[cls, Tag(server_name(cls))] for cls in MODE_CLASSES)),
        Discriminator(_server_of),
    ]
