"""What burstcheck asks of the app's process: typed records that burstcheck writes (one JSON argument) and the
server entry reads back into the same classes, and the exit statuses by which the entry answers."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Optional, Union

from .records import typed

# Exit statuses that tell burstcheck what went wrong before serving (shown with the app's output).
EXIT_APP_IMPORT_FAILED = 3
EXIT_SERVER_MISSING = 4
EXIT_WRONG_INTERFACE = 5
# What the entry prints on stderr before such an exit, for burstcheck to quote: one line after this prefix.
MESSAGE_PREFIX = "burstcheck: "


@dataclass(frozen=True)
class ServerSpec:
    """Serve `app` in one server mode on host:port."""

    app: str  # 'module:attribute' or 'module:factory(...)'
    app_dir: str  # put first on sys.path to import the app
    host: str
    port: int
    server: str  # which launcher (launchers.LAUNCHERS)
    package: str  # the server's package, checked before the app is imported
    interface: str  # "wsgi" or "asgi": what the server serves
    options: dict[str, Any] = field(default_factory=dict)  # read into the launcher's own options record
    inject_delay_ms: float = 0.0
    kind: str = "serve"


@dataclass(frozen=True)
class InspectSpec:
    """Import `app` and say what it is and which routes it has (`burstcheck init`); with `try_routes`, also
    call each of them a few times in the app's process and time it."""

    app: str
    app_dir: str
    try_routes: bool = False
    kind: str = "inspect"


# A request streamed its body when the time after its answer started (start_response, http.response.start)
# is at least this share of the whole, and this long: a generator that sleeps between chunks, server-sent
# events. Both init's route trials and the verdict's calibration tell it so.
STREAMED_SHARE = 0.5
STREAMED_MIN_S = 0.05


def streamed_after_answer(total_s: float, answered_s: float) -> bool:
    """Whether a request that took `total_s` in all, and was answered `answered_s` in, streamed its body."""
    return total_s - answered_s >= max(STREAMED_SHARE * total_s, STREAMED_MIN_S)


@dataclass(frozen=True)
class RouteTrial:
    """A route called a few times in the app's own process: its status and median time, or why not."""

    path: str
    status: Optional[int]  # of the last call; None when no call answered
    median_ms: Optional[float]  # None when no call answered
    calls: int  # how many calls answered
    error: Optional[str] = None  # why the calls stopped early: an exception, a timeout, a body cut short
    # The body streamed after the answer had started (streamed_after_answer).
    streamed: bool = False


@dataclass(frozen=True)
class AppInfo:
    """The answer to an InspectSpec, printed on stdout as JSON."""

    interface: str  # "wsgi" or "asgi"
    framework: str  # the package of the app's class: "flask", "fastapi", "django", ...
    routes: list[str]  # GET routes without parameters, sorted
    trials: list[RouteTrial] = field(default_factory=list)  # with try_routes: one per route tried
    note: Optional[str] = None  # why the routes could not be tried (a lifespan startup that failed)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> AppInfo:
        info = typed(cls, data)
        return replace(info, trials=[typed(RouteTrial, trial) for trial in info.trials])


Spec = Union[ServerSpec, InspectSpec]
_KINDS: dict[str, type[ServerSpec] | type[InspectSpec]] = {"serve": ServerSpec, "inspect": InspectSpec}


def write_spec(spec: Spec) -> str:
    return json.dumps(asdict(spec))


def read_spec(text: str) -> Spec:
    data = json.loads(text)
    kind = data.get("kind", "serve") if isinstance(data, dict) else None
    if kind not in _KINDS:
        raise ValueError(f"unknown request kind {kind!r}")
    return typed(_KINDS[kind], data)
