"""The maths on hand-made timings (a fake clock): no servers, no sleeps."""

from __future__ import annotations

import pytest

from checker.analysis.figures import blocks_loop, effective_concurrency, percentile, summarize, summarize_burst
from checker.analysis.verdict import judge, measurable_concurrency
from checker.wire import Measurement, RequestTiming, ServerTiming
from tests import timelines as tl

L1 = 0.2  # the fake endpoint's single-request latency


def ok(sent: float, done: float, status: int = 200) -> RequestTiming:
    return RequestTiming(sent_s=sent, done_s=done, status=status, error=None)


def staircase(n: int) -> tuple[RequestTiming, ...]:
    """All sent at once, served one after another: request i finishes at (i + 1) * L1."""
    return tuple(ok(100.0, 100.0 + (i + 1) * L1) for i in range(n))


def overlap(n: int) -> tuple[RequestTiming, ...]:
    return tuple(ok(100.0 + i * 0.001, 100.0 + i * 0.001 + L1) for i in range(n))


def capped(n: int, k: int) -> tuple[RequestTiming, ...]:
    """A pool of k: waves of k requests, each wave L1 long."""
    return tuple(ok(100.0, 100.0 + (i // k + 1) * L1) for i in range(n))


def calibration() -> tuple[RequestTiming, ...]:
    return tuple(ok(10.0 + i, 10.0 + i + L1 + jitter) for i, jitter in enumerate([0.0, 0.01, -0.01, 0.002, 0.0]))


def figures_of(*bursts: tuple[RequestTiming, ...]):  # type: ignore[no-untyped-def]
    return summarize(Measurement(calibration=calibration(), bursts=bursts), expect_status=200)


def test_percentile_interpolates_like_numpy() -> None:
    assert percentile([1.0], 0.95) == 1.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([float(i) for i in range(1, 101)], 0.95) == pytest.approx(95.05)
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_effective_concurrency_formula() -> None:
    assert effective_concurrency(10, 0.5, 5.0) == pytest.approx(1.0)
    assert effective_concurrency(10, 0.5, 0.5) == pytest.approx(10.0)


def test_serial_staircase_measures_one() -> None:
    figures = summarize_burst(staircase(10), L1, 200)
    assert figures.effective_concurrency == pytest.approx(1.0)
    assert figures.burst_wall_s == pytest.approx(10 * L1)
    assert figures.send_spread_s == 0
    assert figures.latency.max_s == pytest.approx(10 * L1)
    assert figures.latency.p50_s == pytest.approx(5.5 * L1)


def test_full_overlap_measures_n() -> None:
    figures = summarize_burst(overlap(10), L1, 200)
    assert figures.effective_concurrency == pytest.approx(10 * L1 / (L1 + 0.009))
    assert figures.latency.p95_s == pytest.approx(L1)


def test_pool_of_k_measures_about_n_over_waves() -> None:
    assert summarize_burst(capped(12, 4), L1, 200).effective_concurrency == pytest.approx(4.0)


def test_serialized_app_fails_a_concurrent_expectation_with_plain_words() -> None:
    judgement = judge(figures_of(staircase(10)), 8, None, ">= 8")
    assert judgement.verdict == "fail"
    assert judgement.reason == "expected >= 8, measured 1.0: requests ran one after another"


def test_concurrent_server_passes_and_fails_serialized() -> None:
    figures = figures_of(overlap(10), overlap(10), overlap(10))
    assert judge(figures, 8, None, ">= 8").verdict == "pass"
    failed = judge(figures, None, 1.5, "serialized (<= 1.5)")
    assert failed.verdict == "fail" and "about 10 requests ran at once" in failed.reason


def test_verdict_uses_the_median_of_repeats() -> None:
    figures = figures_of(overlap(10), staircase(10), overlap(10))
    assert figures.effective_concurrency > 9
    assert figures.unstable
    judgement = judge(figures, 8, None, ">= 8")
    assert judgement.verdict == "pass" and "unstable: repeats measured 1.0 to" in judgement.reason
    assert "busy" not in judgement.reason and "CPU cores" not in judgement.reason  # not measured busy: no guess


def test_bursts_whose_requests_never_met_inside_the_app_do_not_outvote_one_that_did() -> None:
    # A busy machine let two bursts' requests in one by one: they say nothing about the lock the third found.
    alone, lock = tl.one_at_a_time_alone(10, 0.001), tl.lock_around_cpu(10, 0.001)
    figures = summarize(Measurement(tl.calibration(0.001, cpu_share=1.0), (alone, lock, alone)), 200)
    assert figures.measured == pytest.approx(1.0, abs=0.1) and figures.median_index == 1
    assert judge(figures, None, 1.5, "serialized").verdict == "pass"
    # Where no burst met inside the app, all are read (the server admitted them together: nothing limited).
    assert summarize(Measurement(tl.calibration(0.001, cpu_share=1.0), (alone,) * 3), 200).measured == 10


def test_a_loop_is_held_by_a_request_alone_only_for_a_heartbeat_or_more() -> None:
    def alone(held_s: float, in_app_s: float) -> ServerTiming:
        return ServerTiming(
            pid=1, thread_id=1, enter_s=10.0, exit_s=10.0 + in_app_s, cpu_s=in_app_s, loop_blocked_enter_s=0.0,
            loop_blocked_exit_s=0.0, loop_lag_max_s=held_s,
        )  # fmt: skip

    # A 0.43 ms hash in `async def`: its beat was late for most of it, or not, by chance: a turn on the loop.
    assert not blocks_loop([alone(0.0004, 0.00045)] * 3)
    # A 5 ms blocking call is seen every time.
    assert blocks_loop([alone(0.005, 0.0051)] * 3)


def test_failed_requests_make_an_error_with_count_and_first_error() -> None:
    burst = list(overlap(10))
    burst[3] = RequestTiming(sent_s=100.0, done_s=100.1, status=None, error="ConnectionError: refused")
    burst[7] = ok(100.0, 100.2, status=500)
    judgement = judge(figures_of(tuple(burst)), 8, None, ">= 8")
    assert judgement.verdict == "error"
    assert judgement.reason == "2 of 15 requests failed; first: ConnectionError: refused"


def test_unexpected_status_is_an_error_not_a_concurrency_verdict() -> None:
    judgement = judge(figures_of(tuple(ok(100.0, 100.0 + L1, status=404) for _ in range(10))), 8, None, ">= 8")
    assert judgement.verdict == "error" and "status 404, expected 200" in judgement.reason


def test_a_client_that_could_not_send_at_once_is_not_blamed_on_the_server() -> None:
    # Sends spread over 1 s for a 0.2 s endpoint: even a perfect server could not show C >= 8.
    slow_client = tuple(ok(100.0 + i * 0.1, 100.0 + i * 0.1 + L1) for i in range(10))
    assert measurable_concurrency(10, L1, 0.9) == pytest.approx(10 * L1 / 1.1)
    judgement = judge(figures_of(slow_client), 8, None, ">= 8")
    assert judgement.verdict == "error"
    assert "the client could not send the burst at once" in judgement.reason
    assert "not the server's fault" in judgement.reason


def test_a_control_burst_takes_the_fixed_overhead_out_of_client_c() -> None:
    # A command server (no middleware): requests cost 10 ms of serialized client/server overhead each.
    overhead, n = 0.01, 10
    control_calibration = tuple(ok(10.0 + i, 10.0 + i + 0.002) for i in range(3))
    control_burst = tuple(ok(100.0, 100.0 + 0.002 + i * overhead) for i in range(n))
    control = Measurement(calibration=control_calibration, bursts=(control_burst,))
    concurrent = tuple(ok(100.0, 100.0 + L1 + i * overhead) for i in range(n))
    figures = summarize(Measurement(calibration=calibration(), bursts=(concurrent,)), 200, control)
    assert figures.control_overhead_s == pytest.approx((n - 1) * overhead)
    assert figures.effective_concurrency == pytest.approx(n * L1 / (L1 + 9 * overhead))
    assert figures.measured == pytest.approx(n, rel=0.05) and figures.basis == "client C - overhead"
    serial = summarize(Measurement(calibration=calibration(), bursts=(staircase(n),)), 200, control)
    assert serial.measured < 1.5
