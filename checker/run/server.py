"""Boot one server mode on loopback, wait until its endpoint answers, and tear it down on leaving."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from checker.app_server import launch
from checker.app_server.route_trials import LIFESPAN_TIMEOUT_S, TOTAL_BUDGET_S
from checker.config import AnyMode, CommandMode, Endpoint, fill_command
from checker.config.interpreter import Interpreter, own
from checker.config.servers import Interface, either, servers_of
from checker.errors import RunError
from checker.run.output_tail import OutputTail
from checker.run.preflight import missing_server_message
from checker.run.processes import describe_exit, managed_process
from checker.safe_text import quoted_tail
from checker.wire import (
    EXIT_APP_IMPORT_FAILED,
    EXIT_SERVER_MISSING,
    EXIT_WRONG_INTERFACE,
    MESSAGE_PREFIX,
    AppInfo,
    InspectSpec,
    ServerSpec,
    write_spec,
)

HOST = "127.0.0.1"  # burstcheck binds only to loopback
# A port chosen free can be taken before the server binds it; try a few fresh ones before giving up.
PORT_ATTEMPTS = 3
READY_POLL_S = 0.05  # fast enough that boot time barely shows in the demo's total
FIRST_PROBE_TIMEOUT_S = 0.5  # doubled on each timeout; see _wait_ready
STDERR_TAIL_LINES = 15
# The server entry, run by its path in the app's interpreter: nothing of burstcheck's package is importable
# there, so no app module can shadow burstcheck's or be shadowed by it.
ENTRY = Path(launch.__file__).resolve()
PORT_IN_USE = re.compile(
    r"address already in use|in use by another program|connection in use|errno 98|eaddrinuse", re.I
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_taken(port: int) -> bool:
    """Whether something else listens on `port` now: the server's "address already in use" was about the port
    burstcheck chose (worth another), not one the app binds itself (the app's own error, shown as it is)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(FIRST_PROBE_TIMEOUT_S)
        return sock.connect_ex((HOST, port)) == 0


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]
    output: OutputTail

    @property
    def pid(self) -> int:
        return self.process.pid

    def exit_status(self) -> int | None:
        """None while the server runs; its exit status once it has exited."""
        return self.process.poll()

    def wait_for_exit(self, timeout_s: float) -> int | None:
        """Its exit status, should it exit within `timeout_s`; None if it is still running."""
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def last_output(self) -> str:
        """The end of what the server printed, quoted, for a message."""
        return quoted_tail(self.output.text(finished=self.exit_status() is not None), STDERR_TAIL_LINES, "no output")


@contextmanager
def running_server(
    mode: AnyMode,
    *,
    app: str | None,
    app_dir: Path,
    probe: Endpoint,
    boot_timeout_s: float,
    inject_delay_ms: float = 0,
    interpreter: Interpreter | None = None,
    env: dict[str, str] | None = None,
    choose_port: Callable[[], int] = free_port,
) -> Iterator[RunningServer]:
    """Start `mode` under the app's interpreter, wait until `probe` answers with any HTTP status, yield, then
    stop every process (default interpreter: burstcheck's own). `env` (the config's env:) is added to
    burstcheck's environment."""
    interpreter = interpreter or own()
    server_env = {**os.environ, **(env or {})}
    for _ in range(PORT_ATTEMPTS):
        port = choose_port()
        if isinstance(mode, CommandMode):
            # Validated when the config was loaded, so splitting and filling cannot fail here.
            argv = fill_command(mode.command, host=HOST, port=port, python=interpreter.path)
        else:
            spec = ServerSpec(
                app=str(app),
                app_dir=str(app_dir),
                host=HOST,
                port=port,
                server=mode.server,
                package=str(mode.package),
                interface=str(mode.interface),
                options=mode.server_options(),
                inject_delay_ms=inject_delay_ms,
            )
            argv = [interpreter.path, str(ENTRY), write_spec(spec)]
        with (
            OutputTail() as output,
            managed_process(
                argv, env=server_env, stdout=output.write_fd, stderr=subprocess.STDOUT, cwd=str(app_dir)
            ) as proc,
        ):
            output.started()
            base_url = f"http://{HOST}:{port}"
            server = RunningServer(base_url=base_url, process=proc, output=output)
            if _wait_ready(proc, base_url, probe, boot_timeout_s):
                yield server
                return
            tail = server.last_output()
            if proc.poll() is not None and PORT_IN_USE.search(tail) and port_taken(port):
                continue
            raise RunError(_boot_failure(mode, server, tail, probe, boot_timeout_s, interpreter, app_dir))
    raise RunError(f"mode {mode.name!r}: no free port after {PORT_ATTEMPTS} attempts")


def _boot_failure(
    mode: AnyMode,
    server: RunningServer,
    tail: str,
    probe: Endpoint,
    boot_timeout_s: float,
    interpreter: Interpreter,
    app_dir: Path,
) -> str:
    """Why a server never answered, in the user's words: the entry's own message where it left one."""
    returncode = server.exit_status()
    said = _entry_message(tail)
    if returncode == EXIT_WRONG_INTERFACE and mode.interface is not None:
        other: Interface = "asgi" if mode.interface == "wsgi" else "wsgi"
        return f"mode {mode.name!r}: {said or tail}: choose {either(servers_of(other))} for it"
    if returncode == EXIT_SERVER_MISSING and mode.package is not None:
        return f"mode {mode.name!r}: {missing_server_message(interpreter, mode.package, app_dir)}"
    if returncode == EXIT_APP_IMPORT_FAILED and said is not None:
        # One line says it all, unless the app's own code raised: then its traceback (the lines before) helps.
        before = [line for line in tail.splitlines() if MESSAGE_PREFIX not in line]
        said += _own_interpreter_hint(said, interpreter)
        return f"mode {mode.name!r}: {said}" + (":\n" + "\n".join(before) if before else "")
    if returncode is None:
        return (
            f"mode {mode.name!r}: the server did not answer {probe.label} within {boot_timeout_s:g} s"
            f" (raise boot_timeout if it is slow to start); its last output:\n{tail}"
        )
    return f"mode {mode.name!r}: the server {describe_exit(returncode)}:\n{tail}"


def _own_interpreter_hint(said: str, interpreter: Interpreter) -> str:
    """A module was missing where the app ran under burstcheck's own interpreter (no python:, no .venv beside
    the config): most likely the app and its packages live in another environment."""
    if "no module named" not in said.lower() or not interpreter.is_own:
        return ""
    return (
        f" - it ran under burstcheck's own interpreter ({interpreter.path}): name the app's with python: in the"
        " config or --python"
    )


def _entry_message(tail: str) -> str | None:
    """The last line the server entry wrote for burstcheck (after MESSAGE_PREFIX), if any."""
    said = [line for line in tail.splitlines() if MESSAGE_PREFIX in line]
    return said[-1].split(MESSAGE_PREFIX, 1)[1] if said else None


def _wait_ready(proc: subprocess.Popen[bytes], base_url: str, probe: Endpoint, timeout_s: float) -> bool:
    """Poll until the probe endpoint answers (True) or the process exits or time runs out (False).

    Each probe's timeout starts short and doubles: a port held by someone else (accepts, never answers)
    must not hide that our server already exited, while a slow endpoint still gets a long enough probe.
    """
    deadline = time.monotonic() + timeout_s
    probe_timeout_s = FIRST_PROBE_TIMEOUT_S
    with requests.Session() as session:
        session.trust_env = False
        while (remaining := deadline - time.monotonic()) > 0 and proc.poll() is None:
            try:
                # The status line is the answer; the body is never read, so one that streams forever or does
                # not decode cannot hold the probe past its deadline or fail it.
                session.request(
                    probe.method,
                    base_url + probe.path,
                    headers={**probe.headers, "Connection": "close"},
                    data=probe.body.encode() if probe.body is not None else None,
                    timeout=min(remaining, probe_timeout_s),
                    allow_redirects=False,
                    stream=True,
                ).close()
                return True
            except requests.Timeout:
                probe_timeout_s *= 2
            except requests.RequestException:  # refused, reset, or a broken answer: not ready yet
                time.sleep(READY_POLL_S)
    return False


# Importing the app (a Django project sets itself up) and, for init, trying its routes, which the app's process
# bounds itself (route_trials.TOTAL_BUDGET_S, and the lifespan's startup and shutdown).
IMPORT_TIMEOUT_S = 60.0
INSPECT_TIMEOUT_S = IMPORT_TIMEOUT_S + TOTAL_BUDGET_S + 2 * LIFESPAN_TIMEOUT_S


def inspect_app(app: str, app_dir: Path, interpreter: Interpreter, *, try_routes: bool = False) -> AppInfo:
    """Import the app under its interpreter: whether it is WSGI or ASGI, its framework, its GET routes without
    parameters, and with `try_routes` how each answered when called a few times in the app's process."""
    spec = InspectSpec(app=app, app_dir=str(app_dir), try_routes=try_routes)
    argv = [interpreter.path, str(ENTRY), write_spec(spec)]
    with (
        OutputTail() as output,
        managed_process(argv, stdout=subprocess.PIPE, stderr=output.write_fd, cwd=str(app_dir)) as proc,
    ):
        output.started()
        try:
            out, _ = proc.communicate(timeout=INSPECT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise RunError(f"importing {app} and trying its routes took longer than {INSPECT_TIMEOUT_S:g} s") from None
        if proc.returncode != 0:
            tail = quoted_tail(output.text(finished=True), STDERR_TAIL_LINES, "no output")
            said = _entry_message(tail)
            before = [line for line in tail.splitlines() if MESSAGE_PREFIX not in line]
            if said is not None:
                raise RunError(f"{said} (with {interpreter.path})" + (":\n" + "\n".join(before) if before else ""))
            raise RunError(
                f"could not import the app {app!r} from {app_dir} with {interpreter.describe()}:\n{tail}\n"
                "Is the app importable from that folder, and does that interpreter have the app's packages?"
                " Name the interpreter with --python, or run from the app's folder."
            )
    return AppInfo.from_json(json.loads(out))
