"""Orchestration: for each mode boot the server, measure each endpoint, judge, tear the server down."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from checker.analysis import Verdict, failed_requests, judge, summarize
from checker.config import AnyMode, Burst, CommandMode, Endpoint
from checker.config_file import LoadedConfig
from checker.diagnosis import diagnose
from checker.errors import ConfigError, RunError
from checker.interpreter import Interpreter, choose, missing_server_message, probe
from checker.requester import measure
from checker.results import Attempt, Result, RunReport
from checker.servers import RunningServer, running_server
from checker.timings import Measurement

# A missed expectation is measured once more before it fails the build: shared CI machines are noisy.
MEASUREMENTS_BEFORE_FAILING = 2

Progress = Callable[[str], None]
# Calibrates and bursts one endpoint on a running server: the real one by default, hand-made in unit tests.
Measure = Callable[[str, Endpoint, Burst], tuple[Measurement, int]]


def select_modes(loaded: LoadedConfig, names: Sequence[str] | None) -> list[AnyMode]:
    modes = list(loaded.config.modes)
    if not names:
        return modes
    unknown = sorted(set(names) - {m.name for m in modes})
    if unknown:
        known = ", ".join(m.name for m in modes)
        raise ConfigError(f"--modes names no mode in {loaded.path}: {', '.join(unknown)} (modes: {known})")
    return [m for m in modes if m.name in names]


def run_check(
    loaded: LoadedConfig,
    modes: Sequence[AnyMode],
    progress: Progress,
    measure: Measure = measure,
    python: str | Interpreter | None = None,
) -> RunReport:
    """Check `modes`; `python` (--python, or an interpreter chosen by the caller) overrides the app's
    interpreter for every mode."""
    started = time.monotonic()
    config = loaded.config
    config_dir = loaded.path.resolve().parent
    if isinstance(python, Interpreter):
        interpreters = {m.name: python for m in modes}
    else:
        interpreters = {
            m.name: choose(cli=python, mode=m.python, config=config.python, config_dir=config_dir) for m in modes
        }
    unusable = _preflight(loaded, modes, interpreters)
    results: list[Result] = []
    peak_rss_kib = 0
    for number, mode in enumerate(modes, start=1):
        interpreter = interpreters[mode.name]
        progress(f"[{number}/{len(modes)}] {mode.name} ({mode.label}): starting the server")
        progress(f"      python: {interpreter.describe()}")
        done: list[Result] = []
        try:
            if mode.name in unusable:
                raise RunError(unusable[mode.name])
            with running_server(
                mode,
                app=config.app,
                app_dir=loaded.app_dir,
                probe=config.endpoints[0],
                boot_timeout_s=config.boot_timeout,
                inject_delay_ms=config.delay_ms(mode),
                interpreter=interpreter,
                env=config.env_for(mode),
            ) as server:
                for endpoint in config.endpoints:
                    result, rss_kib = _check_endpoint(loaded, mode, endpoint, server, measure)
                    peak_rss_kib = max(peak_rss_kib, rss_kib)
                    progress(f"      {endpoint.label}: {result.verdict} - {result.reason}")
                    done.append(result)
        except RunError as exc:
            progress(f"      could not run: {exc}")
            done += [_unmeasured(loaded, mode, e, str(exc)) for e in config.endpoints[len(done) :]]
        results += [replace(r, python=interpreter.describe()) for r in done]
    return RunReport(
        config_path=str(loaded.path),
        results=tuple(results),
        duration_s=time.monotonic() - started,
        client_peak_rss_kib=peak_rss_kib,
    )


def _preflight(loaded: LoadedConfig, modes: Sequence[AnyMode], interpreters: dict[str, Interpreter]) -> dict[str, str]:
    """Before any burst: each app interpreter runs, is new enough, and has the server packages its modes
    need. Returns why each mode that cannot run cannot (mode name -> reason)."""
    unusable: dict[str, str] = {}
    served = [m for m in modes if not isinstance(m, CommandMode)]  # command servers bring their own
    for path in sorted({interpreters[m.name].path for m in served}):
        mine = [m for m in served if interpreters[m.name].path == path]
        interpreter = interpreters[mine[0].name]
        try:
            found = probe(interpreter, sorted({m.server for m in mine}), loaded.app_dir)
        except RunError as exc:
            unusable.update({m.name: str(exc) for m in mine})
            continue
        for m in mine:
            if m.server in found.missing:
                unusable[m.name] = f"mode {m.name!r}: {missing_server_message(interpreter, m.server)}"
    return unusable


def _control(loaded: LoadedConfig, mode: AnyMode, server: RunningServer, measure: Measure) -> Measurement | None:
    """The control burst for servers burstcheck cannot wrap, when the config names a path that does no work."""
    path = loaded.config.control_path
    if path is None or not isinstance(mode, CommandMode):
        return None
    control, _ = measure(server.base_url, Endpoint(path=path), loaded.config.burst)
    failed = failed_requests(summarize(control, 200))
    if failed is not None:
        raise RunError(f"control_path {path}: {failed}")
    return control


def _check_endpoint(
    loaded: LoadedConfig, mode: AnyMode, endpoint: Endpoint, server: RunningServer, measure: Measure
) -> tuple[Result, int]:
    burst: Burst = loaded.config.burst
    low, high = mode.expect.bounds(burst.requests)
    expected = mode.expect.describe(burst.requests)
    attempts: list[Attempt] = []
    peak_rss_kib = 0
    started = time.monotonic()
    for _ in range(MEASUREMENTS_BEFORE_FAILING):
        control = _control(loaded, mode, server, measure)
        measurement, rss_kib = measure(server.base_url, endpoint, burst)
        peak_rss_kib = max(peak_rss_kib, rss_kib)
        figures = summarize(measurement, endpoint.expect_status, control)
        attempts.append(Attempt(measurement, figures, judge(figures, low, high, expected)))
        if attempts[-1].judgement.verdict != "fail":
            break
    final = attempts[-1].judgement
    reason = final.reason
    if len(attempts) > 1:
        first = attempts[0].figures.measured
        outcome = "passed when measured again" if final.verdict == "pass" else "measured twice"
        reason += f" ({outcome}; the first measurement gave {first:.1f})"
    result = _result(
        loaded,
        mode,
        endpoint,
        final.verdict,
        reason,
        diagnosis=diagnose(attempts[-1].figures, os.cpu_count() or 1) if final.verdict != "error" else "",
        attempts=tuple(attempts),
        duration_s=time.monotonic() - started,
    )
    return result, peak_rss_kib


def _unmeasured(loaded: LoadedConfig, mode: AnyMode, endpoint: Endpoint, reason: str) -> Result:
    return _result(loaded, mode, endpoint, "error", reason)


def _result(
    loaded: LoadedConfig,
    mode: AnyMode,
    endpoint: Endpoint,
    verdict: Verdict,
    reason: str,
    *,
    diagnosis: str = "",
    attempts: tuple[Attempt, ...] = (),
    duration_s: float = 0.0,
) -> Result:
    requests = loaded.config.burst.requests
    low, high = mode.expect.bounds(requests)
    index = loaded.config.modes.index(mode)
    return Result(
        mode=mode.name,
        server=mode.label,
        endpoint=endpoint.label,
        expected=mode.expect.describe(requests),
        min_concurrency=low,
        max_concurrency=high,
        verdict=verdict,
        reason=reason,
        config_line=loaded.line_of(("modes", index, "expect")),
        diagnosis=diagnosis,
        attempts=attempts,
        duration_s=duration_s,
    )
