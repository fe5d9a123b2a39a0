"""The allowed-concurrency estimate on hand-made timelines whose truth is known by construction."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from checker.analysis.estimate import admitted_concurrency, allowed_concurrency, app_limit
from checker.analysis.figures import summarize
from checker.analysis.verdict import judge
from checker.wire import Measurement
from tests import timelines as tl
from tests.conftest import TESTS

S = 0.02  # the handler's time alone
N = 20


def estimate(burst, cpu_bound: bool = False, blocks_loop: bool = False):  # type: ignore[no-untyped-def]
    return allowed_concurrency([t.server for t in burst], S, cpu_bound, blocks_loop=blocks_loop)


def test_admitted_concurrency_counts_overlap_not_touching_intervals() -> None:
    assert admitted_concurrency([(0, 1), (1, 2), (2, 3)]) == 1
    assert admitted_concurrency([(0, 3), (1, 2), (1.5, 4), (3.5, 5)]) == 3
    assert admitted_concurrency([]) == 0


def test_nothing_limits_a_concurrent_burst() -> None:
    allowed = estimate(tl.thread_per_request(N, S))
    assert (allowed.value, allowed.limited_by, allowed.overlap) == (N, "nothing", N)


def test_waiting_requests_are_not_counted_as_served_together() -> None:
    # A semaphore of 3 admits 20 requests into the app, but never serves more than 3 at once.
    assert estimate(tl.queue_in_app(N, S, 3)).overlap == 3


def test_overhead_that_staggers_entries_is_not_charged_to_the_app() -> None:
    # The accept loop lets one request in every 2 ms: at most 10 of 20-ms requests are ever inside together,
    # yet none waited for anything: the app and server allowed all of them.
    allowed = estimate(tl.thread_per_request(N, S, stagger_s=0.002))
    assert allowed.value == N and allowed.limited_by == "nothing"
    assert allowed.overlap in (10, 11)  # 20-ms requests entering 2 ms apart: about 10 in service at once


@pytest.mark.parametrize("k", [1, 2, 3, 4, 8])
def test_a_queue_inside_the_app_gives_its_size(k: int) -> None:
    allowed = estimate(tl.queue_in_app(N, S, k))
    assert allowed.limited_by == "app"
    assert allowed.value == pytest.approx(k, rel=0.1)


def test_a_lock_is_found_when_arrivals_spread_over_more_than_the_handler_time() -> None:
    # Requests reach the app over 4 handler times (a slow accept loop), and still queue at the lock.
    burst = tl.queue_in_app(N, S, 1, stagger_s=4 * S / N)
    assert max(t.server.enter_s for t in burst) - min(t.server.enter_s for t in burst) > 3 * S  # type: ignore[union-attr]
    allowed = estimate(burst)
    assert allowed.limited_by == "app" and allowed.value == pytest.approx(1.0, abs=0.1)


def test_short_waits_are_scheduling_noise_not_a_queue() -> None:
    # Every request spent up to 40% longer inside than alone (GIL hand-offs): no lock.
    burst = tuple(
        tl.request(t.server.enter_s, t.server.exit_s + 0.4 * S * (i % 2), thread=t.server.thread_id)  # type: ignore[union-attr]
        for i, t in enumerate(tl.thread_per_request(N, S))
    )
    assert estimate(burst).limited_by == "nothing"


@pytest.mark.parametrize("processes", [False, True])
def test_a_worker_pool_in_the_server_gives_its_size(processes: bool) -> None:
    allowed = estimate(tl.worker_pool(N, S, 4, processes=processes))
    assert (allowed.value, allowed.limited_by, allowed.server_cap) == (4, "server", 4)


def test_a_pool_that_does_not_divide_the_burst_is_still_found() -> None:
    # waitress threads=8 serving 10 requests: two waves; client-side C says about 5, the pool is 8.
    allowed = estimate(tl.worker_pool(10, S, 8))
    assert allowed.value == 8 and allowed.limited_by == "server"


def test_one_worker_is_a_serial_server() -> None:
    assert estimate(tl.worker_pool(N, S, 1)).value == 1


def test_a_process_per_request_with_a_cap() -> None:
    allowed = estimate(tl.process_per_request(N, S, 4))
    assert (allowed.value, allowed.limited_by) == (4, "server")


def test_cpu_bound_threads_taking_turns_at_the_gil_are_served_together() -> None:
    # They leave one after another (one core's worth at once), but every one progressed while the others
    # were served: the GIL, not a lock. Served together; parallelism 1.
    allowed = estimate(tl.gil_turns(N, S), cpu_bound=True)
    assert (allowed.value, allowed.limited_by) == (N, "nothing")
    assert allowed.cpu_parallelism == pytest.approx(1.0)
    assert allowed.peers_progressed == 1.0


def test_a_lock_around_cpu_bound_work_is_a_lock() -> None:
    # The same exits, but the waiting requests made no progress: they waited behind a lock.
    allowed = estimate(tl.lock_around_cpu(N, S), cpu_bound=True)
    assert allowed.limited_by == "app" and allowed.value == pytest.approx(1.0, abs=0.1)
    assert allowed.peers_progressed == 0.0


def test_a_lock_around_cpu_bound_work_is_a_lock_when_the_machine_ran_faster_than_alone() -> None:
    # The same work took twice the CPU at calibration (a VM's speed swings from one moment to the next): the
    # holder's service in the burst is its own clock's, not the lone request's 2 x S.
    timings = [t.server for t in tl.lock_around_cpu(N, S)]
    allowed = allowed_concurrency(timings, 2 * S, True, cpu_alone_s=2 * S)  # type: ignore[arg-type]
    assert allowed.limited_by == "app" and allowed.value == pytest.approx(1.0, abs=0.1)


def test_an_event_loop_s_parallelism_is_its_process_clock_not_the_sum_of_overlapping_requests() -> None:
    # One loop answers N requests one after another while they all wait inside the app; each request's clock
    # is the process's over its own window (they overlap), and the process used half a core all along.
    timings = [
        t.server
        for t in (
            tl.request(
                tl.T0,
                tl.T0 + (i + 1) * S,
                thread=1,
                cpu=0.5 * (i + 1) * S,
                loop_blocked_enter_s=0.0,
                loop_blocked_exit_s=0.0,
                process_cpu_enter_s=0.0,
                process_cpu_exit_s=0.5 * (i + 1) * S,
            )
            for i in range(N)
        )
    ]
    allowed = allowed_concurrency(timings, S, False, cpu_alone_s=S)  # type: ignore[arg-type]
    assert allowed.cpu_parallelism == pytest.approx(0.5)


def test_a_lock_around_cpu_bound_work_on_a_busy_machine_is_a_lock() -> None:
    # Alone, S of CPU took 2 x S (preempted); in the burst some holders ran at twice the speed, so the exits
    # come 0.5 S to 1 S of CPU apart, stretched alike: some gaps are shorter than half the time alone, none
    # shorter than half the holder's own CPU and preemption.
    timings = [t.server for t in tl.lock_around_cpu_preempted(N, (S, S / 2, S / 2), stretch=2)]
    allowed = allowed_concurrency(timings, 2 * S, False, cpu_alone_s=S)  # type: ignore[arg-type]
    assert allowed.limited_by == "app" and allowed.value == pytest.approx(1.0, abs=0.2)
    assert allowed.finished_one_by_one


def test_parallelism_reads_clocks_at_the_bursts_speed_and_not_what_threads_burn_at_the_gil() -> None:
    # Threads of one process whose clocks also counted 50% of waiting for the GIL: one core's worth of work.
    burning = [replace(t.server, cpu_s=1.5 * S) for t in tl.gil_turns(N, S)]  # type: ignore[type-var]
    assert allowed_concurrency(burning, S, True, cpu_alone_s=S).cpu_parallelism == pytest.approx(1.0)
    # Processes serving one request at a time: their own clocks, whatever a slower calibration said.
    processes = [t.server for t in tl.processes_sharing_cores(N, S, processes=4, cores=2)]
    allowed = allowed_concurrency(processes, 2 * S, True, cpu_alone_s=2 * S)  # type: ignore[arg-type]
    assert allowed.cpu_parallelism == pytest.approx(2.0)


def test_without_evidence_from_inside_cpu_bound_requests_are_not_taken_for_a_queue() -> None:
    # macOS, or an event loop: no peer evidence; CPU-bound requests sharing cores are not a lock.
    burst = tuple(replace(t, server=replace(t.server, peers=None, peers_progressed=None)) for t in tl.gil_turns(N, S))  # type: ignore[arg-type]
    assert estimate(burst, cpu_bound=True).limited_by == "nothing"


def test_cpu_bound_processes_are_served_by_their_pool_whatever_the_cores() -> None:
    # Four workers on two cores: four served together, two cores' worth of CPU at once.
    allowed = estimate(tl.processes_sharing_cores(N, S, processes=4, cores=2), cpu_bound=True)
    assert (allowed.value, allowed.limited_by) == (4, "server")
    assert allowed.cpu_parallelism == pytest.approx(2.0, rel=0.05)  # the handlers' own CPU: no calibration here


def test_a_lock_whose_waiters_back_off_is_still_a_lock() -> None:
    # SQLite's busy handler: the lock sits unclaimed between holders (half the time idle), yet they still
    # left one at a time.
    allowed = estimate(tl.lock_with_backoff(N, S, idle_s=S))
    assert allowed.limited_by == "app" and allowed.value == 1.0


def test_an_event_loop_blocked_all_along_served_one_at_a_time() -> None:
    # Every request was inside the app from the start to the end (they look together), but the loop was
    # blocked the whole time: one at a time.
    allowed = estimate(tl.blocked_loop(10, S), blocks_loop=True)
    assert (allowed.value, allowed.limited_by, allowed.loop_limit) == (1, "loop", 1)


def test_blocked_loops_that_waited_for_a_cpu_between_requests_still_served_one_at_a_time() -> None:
    # Two workers on a busy machine: each loop's heartbeat was late for half its part of the burst at most,
    # but no worker ever had two requests inside the app.
    allowed = estimate(tl.blocked_loops_waiting_for_a_cpu(10, S, workers=2), blocks_loop=True)
    assert (allowed.value, allowed.limited_by, allowed.loop_limit) == (2, "loop", 2)


def test_a_loop_kept_busy_by_many_short_callbacks_is_not_a_blocked_one() -> None:
    # The same late timer, but a request alone never held the loop: many requests' work kept it busy.
    assert estimate(tl.blocked_loop(10, S), blocks_loop=False).limited_by == "nothing"


def test_anyio_s_thread_pool_seen_full_is_the_cap() -> None:
    allowed = estimate(tl.anyio_pool(60, 0.1, 40))
    assert (allowed.value, allowed.limited_by, allowed.thread_pool) == (40, "pool", 40)


def test_a_lock_finishes_one_by_one() -> None:
    assert estimate(tl.queue_in_app(N, S, 1)).finished_one_by_one


def test_the_verdict_uses_the_allowed_concurrency_not_client_c() -> None:
    # Staggered entries make client-side C low; the allowed concurrency passes "concurrent".
    figures = summarize(tl.measure(tl.thread_per_request(N, S, stagger_s=0.002), S), 200)
    assert figures.effective_concurrency < 0.5 * N
    assert figures.allowed_concurrency == N and figures.basis == "allowed"
    judgement = judge(figures, 0.8 * N, None, "concurrent")
    assert judgement.verdict == "pass" and judgement.reason == f"measured {N:.1f}: about {N} requests ran at once"


def test_a_burst_that_never_overlapped_cannot_prove_concurrency() -> None:
    # Each request reached the server after the previous one left: a lock would have gone unseen.
    figures = summarize(tl.measure(tl.thread_per_request(N, S, stagger_s=1.5 * S), S), 200)
    judgement = judge(figures, 0.8 * N, None, "concurrent")
    assert judgement.verdict == "error"
    assert judgement.reason.startswith(
        "the burst did not test concurrency: at most 1 of its requests were inside the server at once"
    )
    assert "fewer than the 10 that concurrent needs" in judgement.reason
    assert judge(figures, 1.0, None, ">= 1").verdict == "pass"  # one at a time needs no proof


def test_a_busy_machine_does_not_change_whether_requests_are_served_together() -> None:
    # CPU-bound requests under the GIL while other processes took 1.6 cores: the structure stands.
    measurement = replace(tl.measure(tl.gil_turns(N, S), S, cpu_share=0.97), others_cpu_cores=1.6)
    figures = summarize(measurement, 200)
    assert judge(figures, 0.8 * N, None, "concurrent").verdict == "pass"
    assert judge(figures, None, 1.5, "serialized").verdict == "fail"
    locked = replace(tl.measure(tl.lock_around_cpu(N, S), S, cpu_share=0.97), others_cpu_cores=1.6)
    assert judge(summarize(locked, 200), 0.8 * N, None, "concurrent").verdict == "fail"


def test_parallelism_is_judged_only_where_the_machine_can_show_it() -> None:
    quiet = summarize(tl.measure(tl.processes_sharing_cores(N, S, 4, 2), S, cpu_share=0.97), 200)
    assert judge(quiet, 3, None, ">= 3", min_parallelism=1.5, cpu_cores=2).verdict == "pass"
    gil = summarize(tl.measure(tl.gil_turns(N, S), S, cpu_share=0.97), 200)
    missed = judge(gil, 3, None, ">= 3", min_parallelism=1.5, cpu_cores=2)
    assert missed.verdict == "fail" and missed.reason.startswith("expected parallelism >= 1.5, measured 1.0")
    busy = summarize(replace(tl.measure(tl.gil_turns(N, S), S, cpu_share=0.97), others_cpu_cores=1.6), 200)
    assert "the machine was too busy to show parallelism" in judge(busy, 3, None, ">= 3", min_parallelism=1.5).reason
    few_cores = judge(quiet, 3, None, ">= 3", min_parallelism=4, cpu_cores=2)
    assert few_cores.verdict == "error" and "this machine has 2 CPU cores" in few_cores.reason


def test_one_at_a_time_is_a_lock_only_if_requests_left_one_by_one() -> None:
    # Forked requests slowed unevenly by a busy machine look queued, but they did not leave one service
    # time apart: that is not a lock.
    uneven = tuple(
        tl.request(tl.T0 + i * 0.015, tl.T0 + i * 0.015 + S * (2.0 if i % 2 else 1.6), pid=tl.PID + i, thread=1)
        for i in range(N)
    )
    assert app_limit([t.server for t in uneven], S) is None  # type: ignore[misc]
    assert estimate(uneven).limited_by != "app"
    assert estimate(tl.queue_in_app(N, S, 1)).limited_by == "app"


def test_a_recorded_healthy_burst_with_scheduling_noise_is_not_a_queue() -> None:
    # Recorded on the 2-core development machine: werkzeug threaded=True, a handler that only sleeps 5 ms,
    # 50 requests. GIL hand-offs kept 17 of them over 1.5 x their time alone, beside a ragged number in
    # service (median 18, 90th percentile 40): noise, not a lock or a pool. Before the steadiness rule this
    # read as "the app caps concurrency at about 22".
    data = json.loads((TESTS / "data" / "healthy-threaded-5ms-x50.json").read_text())
    figures = summarize(Measurement.from_json(data), 200)
    assert figures.median_burst.allowed is not None
    assert figures.median_burst.allowed.limited_by == "nothing"
    assert judge(figures, 40, None, "concurrent").verdict == "pass"


def test_threads_let_go_together_that_answer_at_one_core_s_pace_are_not_a_queue() -> None:
    # Recorded on the 2-core development machine: werkzeug threaded=True, a handler that only sleeps 10 ms,
    # 50 requests. The threads their sleeps let go together then waited for the GIL, and left one after
    # another at the pace one core answers them (the process's CPU clock moved 1.1 s a second from the first
    # answer to the last): two bursts of three read as "the app caps concurrency at about 16-22".
    data = json.loads((TESTS / "data" / "gil-herd-10ms-x50.json").read_text())
    herd = Measurement.from_json(data)
    figures = summarize(herd, 200)
    assert [burst.allowed.limited_by for burst in figures.bursts if burst.allowed] == ["nothing"] * 3
    assert judge(figures, 40, None, "concurrent").verdict == "pass"
    # Without the process's CPU clock (not recorded) the same bursts read as a queue.
    unclocked = [[replace(t, server=replace(t.server, process_cpu_exit_s=None)) for t in b] for b in herd.bursts]  # type: ignore[arg-type]
    blind = summarize(replace(herd, bursts=tuple(tuple(b) for b in unclocked)), 200)
    assert "app" in [burst.allowed.limited_by for burst in blind.bursts if burst.allowed]


def test_a_lock_around_work_after_a_sleep_is_a_queue_though_answers_came_at_one_core_s_pace() -> None:
    # The same exits, one core busy from the first answer to the last, but the waiters made no progress: a lock.
    for progressed, limited_by in ((True, "nothing"), (False, "app")):
        burst = [t.server for t in tl.answered_at_cpu_pace(N, S, answer_s=S / 4, progressed=progressed) if t.server]
        assert allowed_concurrency(burst, S, cpu_bound=False).limited_by == limited_by


def test_time_a_busy_machine_kept_a_request_from_a_cpu_is_not_a_queue_in_the_app() -> None:
    # gunicorn sync 4 beside two CPU hogs, a 5 ms sleep: two requests spent 3-4 ms more in the app, runnable.
    preempted = [t.server for t in tl.workers_preempted(S) if t.server]
    allowed = allowed_concurrency(preempted, alone_s=S, cpu_bound=False)
    assert (allowed.value, allowed.limited_by) == (4.0, "server")
    # Without the threads' CPU wait (macOS, or not recorded) the same times read as an app limit of 2.5.
    unknown = [replace(t, cpu_wait_enter_s=None, cpu_wait_exit_s=None) for t in preempted]
    assert allowed_concurrency(unknown, alone_s=S, cpu_bound=False).limited_by == "app"


def test_a_lock_still_queues_whatever_its_holders_waited_for_a_cpu() -> None:
    # Behind a lock the waiters are blocked, not runnable: only the holders' service had CPU waits in it.
    holders = [t.server for t in tl.queue_in_app(N, S, 1) if t.server]
    lock = [replace(t, cpu_wait_enter_s=0.0, cpu_wait_exit_s=0.2 * S) for t in holders]
    allowed = allowed_concurrency(lock, alone_s=S, cpu_bound=False)
    assert allowed.limited_by == "app" and allowed.value == pytest.approx(1.0, abs=0.1)


def test_a_lone_request_that_waited_for_a_cpu_does_not_lengthen_the_time_alone() -> None:
    # Recorded beside two CPU hogs: werkzeug threaded, a lock around 5 ms of CPU, N = 10. The lone calibration
    # requests spent 3-17.6 ms in the app for 3-5.7 ms of CPU, preempted; taken as the time alone, that let
    # waiters behind the lock look unqueued, and the attempt read 1.6 ("serialized" failed). (Their CPU waits
    # were not recorded then - only the burst's were - and are their time in the app less their CPU time: a
    # lone CPU-bound request is on a CPU or waiting for one.)
    data = json.loads((TESTS / "data" / "lock-cpu-5ms-x10-two-hogs.json").read_text())
    figures = summarize(Measurement.from_json(data), 200)
    assert figures.calibration_in_app_s == pytest.approx(0.0041, abs=0.0005)  # the CPU time alone, 3.1-5.7 ms
    assert figures.allowed_concurrency == pytest.approx(1.0, abs=0.1)
    assert judge(figures, None, 1.5, "serialized").verdict == "pass"
    for request in data["calibration"]:  # as the middleware recorded them before, and off Linux
        request["server"]["cpu_wait_enter_s"] = request["server"]["cpu_wait_exit_s"] = None
    assert (summarize(Measurement.from_json(data), 200).allowed_concurrency or 0) > 1.5


def test_time_an_event_loop_waited_for_a_cpu_is_not_a_queue_in_the_app() -> None:
    # uvicorn, one worker, a 5 ms asyncio.sleep beside two CPU hogs: the loop was kept from a CPU for 5.4 ms
    # while the last five requests were in the app, and they read as queued (an app limit of 7.8 at N = 10).
    preempted = [t.server for t in tl.loop_preempted() if t.server]
    assert allowed_concurrency(preempted, alone_s=0.0058, cpu_bound=False).limited_by == "nothing"
    unknown = [replace(t, loop_cpu_wait_enter_s=None, loop_cpu_wait_exit_s=None) for t in preempted]
    assert allowed_concurrency(unknown, alone_s=0.0058, cpu_bound=False).limited_by == "app"
