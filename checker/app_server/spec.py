"""What burstcheck asks of the app's process: typed records that burstcheck writes (one JSON argument) and the
server entry reads back into the same classes, and the exit statuses by which the entry answers."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Union

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
    """Import `app` and say what it is and which routes it has (`burstcheck init`)."""

    app: str
    app_dir: str
    kind: str = "inspect"


@dataclass(frozen=True)
class AppInfo:
    """The answer to an InspectSpec, printed on stdout as JSON."""

    interface: str  # "wsgi" or "asgi"
    routes: list[str]  # GET routes without parameters, sorted

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> AppInfo:
        return typed(cls, data)


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
