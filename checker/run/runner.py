"""Orchestration: for each mode boot the server, measure each endpoint, judge, tear the server down."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from checker.analysis.diagnosis import diagnose
from checker.analysis.figures import AttemptFigures, summarize
from checker.analysis.verdict import Verdict, failed_requests, judge
from checker.config import AnyMode, Burst, CommandMode, Endpoint
from checker.config.interpreter import Interpreter, choose
from checker.config.load import LoadedConfig
from checker.endings import caught
from checker.errors import ConfigError, DeadlinePassed, RunError
from checker.results import Attempt, Result, RunReport
from checker.run.burst_client import measure
from checker.run.preflight import preflight
from checker.run.processes import describe_exit
from checker.run.server import RunningServer, running_server
from checker.safe_text import one_line
from checker.wire import Measurement

# A missed expectation is measured once more before it fails the build: shared CI machines are noisy.
MEASUREMENTS_BEFORE_FAILING = 2
# Bursts in which no two requests met inside the app (a busy machine let the released threads in one by one,
# each done before the next got a CPU) say nothing about a lock there: the endpoint is measured again, up to
# this many times in all, until a burst does. Cheap where it happens - handlers of a millisecond or less.
MEASUREMENTS_UNTIL_TESTED = 3
# Requests that failed may mean the server died: this long for its exit to show (a guardian ends the rest of
# its tree first), so that the message names the death ("killed by SIGSEGV"), not "Connection refused".
SERVER_EXIT_WAIT_S = 1.0

Progress = Callable[[str], None]
# Calibrates and bursts one endpoint on a running server: the real one by default, hand-made in unit tests.
# What the run is doing now, for a live progress line ("threaded GET /slow: burst 2 of 3").
Status = Callable[[str], None]
# Its last arguments: the seconds left before the run's deadline (None: no deadline), and where to say what it
# is doing.
# and the size of the warm-up burst (the mode's).
Measure = Callable[[str, Endpoint, Burst, float | None, Status, int], tuple[Measurement, int]]
# The run's measure with its deadline and live status bound: what one endpoint's check calls.
BoundMeasure = Callable[[str, Endpoint, Burst], tuple[Measurement, int]]


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
    deadline_s: float | None = None,
    status: Status = lambda text: None,
    started: float | None = None,
) -> RunReport:
    """Check `modes`; `python` (--python, or an interpreter chosen by the caller) overrides the app's
    interpreter for every mode. The run stops at `deadline_s` (seconds from `started`, a time.monotonic() that
    defaults to now: the command started its clock before it read the config), on Ctrl-C or SIGTERM, or on an
    internal error, and still returns a report: what was measured, and every other result as not measured."""
    started = time.monotonic() if started is None else started
    config = loaded.config
    config_dir = loaded.path.resolve().parent
    if isinstance(python, Interpreter):
        interpreters = {m.name: python for m in modes}
    else:
        interpreters = {
            m.name: choose(cli=python, mode=m.python, config=config.python, config_dir=config_dir) for m in modes
        }
    run = _Run(loaded, progress, measure, None if deadline_s is None else started + deadline_s, status)
    with caught() as outcome:
        unusable = preflight(modes, interpreters, loaded.app_dir, run.deadline)
        for number, mode in enumerate(modes, start=1):
            run.check_mode(mode, f"[{number}/{len(modes)}]", interpreters[mode.name], unusable.get(mode.name))
    results = run.results
    ended = outcome.ended
    if ended is not None and ended.ending == "deadline":  # however it was noticed, say which deadline
        ended = replace(ended, problem=f"the run's deadline ({deadline_s:g} s, --deadline) passed")
    if ended is not None:  # a deadline, Ctrl-C, SIGTERM or a bug: the results so far are still reported
        done = {(r.mode, r.endpoint) for r in results}
        results += [
            replace(_unmeasured(loaded, m, e, f"not measured: {ended.problem}"), python=interpreters[m.name].describe())
            for m in modes
            for e in config.endpoints
            if (m.name, e.label) not in done
        ]
    return RunReport(
        config_path=str(loaded.path),
        results=tuple(results),
        duration_s=time.monotonic() - started,
        client_peak_rss_kib=run.peak_rss_kib,
        ending=ended.ending if ended else "complete",
        problem=ended.problem if ended else "",
    )


class _Run:
    """The state of one run: results as they come (so that a stopped run keeps them), the deadline."""

    def __init__(
        self, loaded: LoadedConfig, progress: Progress, measure: Measure, deadline: float | None, status: Status
    ) -> None:
        self.loaded = loaded
        self.status = status
        self.progress = progress
        self.measure = measure
        self.deadline = deadline
        self.results: list[Result] = []
        self.peak_rss_kib = 0
        self.current = ""  # the mode and endpoint being measured, for status lines
        self.warm_up = 1  # the warm-up burst of the mode being measured

    def budget_s(self) -> float | None:
        """Seconds left before the deadline (None: no deadline); DeadlinePassed once none are."""
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlinePassed("the run's deadline passed")
        return left

    def check_mode(self, mode: AnyMode, counter: str, interpreter: Interpreter, unusable: str | None) -> None:
        config = self.loaded.config
        budget = self.budget_s()
        self.progress(f"{counter} {mode.name} ({mode.label}): starting the server")
        self.status(f"{counter} {mode.name}: starting the server")
        self.progress(f"      python: {one_line(interpreter.describe())}")
        python = interpreter.describe()
        done = len(self.results)
        self.warm_up = mode.warm_up_requests(config.burst.requests)
        try:
            if unusable is not None:
                raise RunError(unusable)
            with running_server(
                mode,
                app=config.app,
                app_dir=self.loaded.app_dir,
                probe=config.endpoints[0],
                boot_timeout_s=config.boot_timeout if budget is None else min(config.boot_timeout, budget),
                inject_delay_ms=config.delay_ms(mode),
                interpreter=interpreter,
                env=config.env_for(mode),
            ) as server:
                for endpoint in config.endpoints:
                    self.current = f"{counter} {mode.name} {endpoint.label}"
                    result = self.check_endpoint(mode, endpoint, server)
                    self.progress(f"      {endpoint.label}: {result.verdict} - {result.reason}")
                    self.results.append(replace(result, python=python))
        except DeadlinePassed:
            raise
        except RunError as exc:
            self.progress(f"      could not run: {exc}")
            measured = len(self.results) - done
            self.results += [
                replace(_unmeasured(self.loaded, mode, e, str(exc)), python=python) for e in config.endpoints[measured:]
            ]

    def check_endpoint(self, mode: AnyMode, endpoint: Endpoint, server: RunningServer) -> Result:
        """One endpoint's result. A failure that is the endpoint's own (a hanging handler, the client
        failing on its answers) is its result; a server that exited ends the mode, saying how it ended."""
        try:
            result = _check_endpoint(self.loaded, mode, endpoint, server, self._measure)
        except DeadlinePassed:
            raise
        except RunError as exc:
            _raise_if_exited(mode, endpoint, server, server.exit_status())
            return _unmeasured(self.loaded, mode, endpoint, str(exc))
        if result.verdict == "error":  # its requests failed: a server that died says so
            _raise_if_exited(mode, endpoint, server, server.wait_for_exit(SERVER_EXIT_WAIT_S))
        return result

    def _measure(self, base_url: str, endpoint: Endpoint, burst: Burst) -> tuple[Measurement, int]:
        """The run's measure: with what is left of the deadline when it starts, and the live status."""

        def status(text: str) -> None:
            self.status(f"{self.current}: {text}")

        measurement, rss_kib = self.measure(base_url, endpoint, burst, self.budget_s(), status, self.warm_up)
        self.peak_rss_kib = max(self.peak_rss_kib, rss_kib)
        return measurement, rss_kib


def _raise_if_exited(mode: AnyMode, endpoint: Endpoint, server: RunningServer, status: int | None) -> None:
    if status is not None:
        raise RunError(
            f"mode {mode.name!r}: the server {describe_exit(status)} while measuring {endpoint.label};"
            f" its last output:\n{server.last_output()}"
        )


def _control(loaded: LoadedConfig, mode: AnyMode, server: RunningServer, measure: BoundMeasure) -> Measurement | None:
    """The control burst for servers burstcheck cannot wrap, when the config names a path that does no work."""
    path = loaded.config.control_path
    if path is None or not isinstance(mode, CommandMode):
        return None
    control, _ = measure(server.base_url, Endpoint(path=path), loaded.config.burst)
    failed = failed_requests(summarize(control, 200))
    if failed is not None:
        raise RunError(f"control_path {path}: {failed}")
    return control


def measure_testing_the_app(
    measure: BoundMeasure,
    base_url: str,
    endpoint: Endpoint,
    burst: Burst,
    control: Measurement | None = None,
    capacity: int | None = None,
) -> tuple[Measurement, AttemptFigures]:
    """Measure `endpoint`, again while none of its bursts tested the app; the bursts of every measurement
    are judged together (with the first calibration), so that those that did test it are the ones read.
    `capacity` is what the server's settings let in at once (the mode's), where known."""
    measurement, _ = measure(base_url, endpoint, burst)
    measurement = replace(measurement, server_capacity=capacity)
    figures = summarize(measurement, endpoint.expect_status, control)
    for _ in range(MEASUREMENTS_UNTIL_TESTED - 1):
        if figures.tested_the_app:
            break
        more, _ = measure(base_url, endpoint, burst)
        others = [m.others_cpu_cores for m in (measurement, more) if m.others_cpu_cores is not None]
        measurement = replace(
            measurement, bursts=measurement.bursts + more.bursts, others_cpu_cores=max(others, default=None)
        )
        figures = summarize(measurement, endpoint.expect_status, control)
    return measurement, figures


def _check_endpoint(
    loaded: LoadedConfig, mode: AnyMode, endpoint: Endpoint, server: RunningServer, measure: BoundMeasure
) -> Result:
    burst: Burst = loaded.config.burst
    low, high = mode.expect.bounds(burst.requests)
    expected = mode.expect.describe(burst.requests)
    attempts: list[Attempt] = []
    started = time.monotonic()
    for _ in range(MEASUREMENTS_BEFORE_FAILING):
        control = _control(loaded, mode, server, measure)
        measurement, figures = measure_testing_the_app(
            measure, server.base_url, endpoint, burst, control, mode.capacity
        )
        judgement = judge(figures, low, high, expected, min_parallelism=mode.expect.min_parallelism)
        attempts.append(Attempt(measurement, figures, judgement))
        if attempts[-1].judgement.verdict != "fail":
            break
    final = attempts[-1].judgement
    reason = final.reason
    if len(attempts) > 1:
        first = attempts[0].figures.measured
        outcome = "passed when measured again" if final.verdict == "pass" else "measured twice"
        reason += f" ({outcome}; the first measurement gave {first:.1f})"
    return _result(
        loaded,
        mode,
        endpoint,
        final.verdict,
        reason,
        diagnosis=_diagnosis(mode, attempts[-1].figures, burst.requests) if final.verdict != "error" else "",
        attempts=tuple(attempts),
        duration_s=time.monotonic() - started,
    )


def _diagnosis(mode: AnyMode, figures: AttemptFigures, requests: int) -> str:
    """Why, from the figures; where the server held the burst back, what in its settings did."""
    why = diagnose(figures, os.cpu_count() or 1)
    allowed = figures.median_burst.allowed
    if allowed is None or allowed.together >= requests:
        return why
    note = mode.cap_note(allowed.together, requests)
    return f"{why}; {note}" if note else why


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
        expect_status=endpoint.expect_status,
        min_parallelism=mode.expect.min_parallelism,
        diagnosis=diagnosis,
        attempts=attempts,
        duration_s=duration_s,
    )
