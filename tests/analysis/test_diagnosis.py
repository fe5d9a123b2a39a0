"""Diagnosis rules on hand-made timelines: each sentence for the situation it names, and nothing guessed."""

from __future__ import annotations

from dataclasses import replace

from checker.analysis.diagnosis import diagnose
from checker.analysis.figures import AttemptFigures, summarize
from checker.analysis.verdict import judge
from checker.wire import Measurement, RequestTiming
from tests import timelines as tl

S = 0.02
N = 10


def figures(burst: tuple[RequestTiming, ...], cpu_share: float = 0.01) -> AttemptFigures:
    return summarize(tl.measure(burst, S, cpu_share), 200)


def test_server_one_at_a_time() -> None:
    text = diagnose(figures(tl.worker_pool(N, S, 1)), 2)
    assert text == "the server handles one request at a time (threaded=False / one sync worker)"


def test_app_serializes_what_the_server_admitted() -> None:
    text = diagnose(figures(tl.queue_in_app(N, S, 1)), 2)
    assert text.startswith("the server ran them together (10 inside the app at once) but the app serialized them")
    assert "90% of the requests waited their turn inside the app" in text


def test_app_caps_below_what_the_server_admitted() -> None:
    text = diagnose(figures(tl.queue_in_app(N, S, 2)), 2)
    assert "only about 2 made progress together: the app caps concurrency (a semaphore, or a pool of 2" in text


def test_pool_in_the_server_is_named_with_its_size() -> None:
    # waitress threads=8 with 10 requests: the pool is 8, though client-side C is about 5.
    text = diagnose(figures(tl.worker_pool(N, S, 8)), 2)
    assert text.startswith("concurrency is capped at 8: a pool of 8 workers/threads in the server")


def test_cpu_bound_threads_are_served_together_and_the_gil_is_named_for_parallelism() -> None:
    text = diagnose(figures(tl.gil_turns(N, S), cpu_share=0.97), 2)
    assert text.startswith("requests were served together: the server admitted 10 at once and the app was never")
    assert "; CPU-bound, 97% CPU when alone: they took turns at the GIL, 1.0 cores' worth at once" in text


def test_cpu_bound_requests_on_an_event_loop_took_turns_on_the_loop_not_threads() -> None:
    # A sub-millisecond hash in `async def` (a FastAPI app): one loop ran each request's step in turn.
    on_loop = tuple(
        replace(t, server=replace(t.server, loop_blocked_enter_s=0.0, loop_blocked_exit_s=0.0))  # type: ignore[type-var]
        for t in tl.gil_turns(N, S)
    )
    text = diagnose(figures(on_loop, cpu_share=0.92), 2)
    assert "they took turns on the event loop, 0.9 cores' worth at once" in text
    assert "GIL" not in text and "threads" not in text.split(";")[1]


def test_cpu_bound_that_releases_the_gil_is_not_blamed_on_it() -> None:
    # A SQLite scan: C code that releases the GIL runs on both cores in one process.
    burst = tuple(
        tl.request(t.server.enter_s, t.server.exit_s, thread=100 + i, cpu=S)  # type: ignore[union-attr]
        for i, t in enumerate(tl.cpu_on_cores(N, S, cores=2))
    )
    text = diagnose(figures(burst, cpu_share=0.95), 2)
    assert "1.9 cores' worth ran at once, outside the GIL (C code that releases it)" in text


def test_cpu_bound_behind_a_lock_is_a_lock() -> None:
    text = diagnose(figures(tl.lock_around_cpu(N, S), cpu_share=0.97), 2)
    assert "but the app serialized them" in text
    assert "(a lock around CPU-bound work (the others made no progress while one was served)" in text
    assert "GIL" not in text


def test_cpu_bound_across_processes_is_served_by_the_pool_and_capped_by_cores_in_parallel() -> None:
    text = diagnose(figures(tl.processes_sharing_cores(12, S, processes=4, cores=2), cpu_share=0.97), 2)
    assert text.startswith("concurrency is capped at 4: a pool of 4 workers/threads in the server")
    assert "4 processes ran it, 2.0 cores' worth at once on 2 CPU cores" in text  # their own clocks


def test_a_blocked_event_loop_is_named_whatever_the_times_inside_the_app_say() -> None:
    text = diagnose(summarize(tl.measure(tl.blocked_loop(N, S), S, blocks_loop=True), 200), 2)
    assert text.startswith("the event loop was blocked for 0.2 s of the 0.2 s burst: a blocking call inside")


def test_anyio_s_pool_is_named() -> None:
    text = diagnose(summarize(tl.measure(tl.anyio_pool(60, 0.1, 40), 0.1), 200), 2)
    assert text.startswith("sync endpoints run in a thread pool capped at 40 (anyio's default is 40)")


def test_concurrent() -> None:
    text = diagnose(figures(tl.thread_per_request(N, S, stagger_s=0.001)), 2)
    assert text.startswith("requests ran concurrently: nothing in the server or the app made them wait")


def test_client_side_only_never_guesses_the_cause() -> None:
    def client_only(burst: tuple[RequestTiming, ...]) -> AttemptFigures:
        strip = lambda timings: tuple(RequestTiming(t.sent_s, t.done_s, 200, None) for t in timings)  # noqa: E731
        return summarize(Measurement(strip(tl.calibration(S)), (strip(burst),)), 200)

    serial = client_only(tuple(RequestTiming(tl.T0, tl.T0 + (i + 1) * S, 200, None) for i in range(N)))
    assert diagnose(serial, 2).startswith("requests ran one after another (client-side figures only")
    capped = client_only(tuple(RequestTiming(tl.T0, tl.T0 + (i // 3 + 1) * S, 200, None) for i in range(N)))
    assert diagnose(capped, 2).startswith("concurrency is capped at about 3 (client-side figures only")


def test_a_process_per_request_server_is_named_as_such() -> None:
    text = diagnose(figures(tl.process_per_request(N, S, 4)), 2)
    assert text == "concurrency is capped at 4: the server forks a process per request, at most 4 at once"


def test_large_responses_that_take_longer_to_transfer_than_the_handler_are_named() -> None:
    # The app ran all 10 together, but their 50 MiB bodies went through one pipe: one every 3 S.
    burst = tuple(
        replace(t, done_s=t.server.exit_s + (i + 1) * 3 * S, body_bytes=50 << 20)
        for i, t in enumerate(tl.thread_per_request(N, S))
        if t.server is not None
    )
    text = diagnose(figures(burst), 2)
    assert text.startswith("requests ran concurrently: nothing in the server or the app made them wait")
    assert "; responses of 50 MiB took longer to transfer than the handler ran (330 ms after the app answered" in text
    assert "clients waited on the transfer, so client C is only" in text
    # Small bodies sent at once: nothing to say about the transfer.
    assert "transfer" not in diagnose(figures(tl.thread_per_request(N, S)), 2)


def test_a_late_wave_of_arrivals_is_named_as_the_listen_backlog() -> None:
    # 100 requests: 90 enter together; 10 enter 1.2 s later, after the kernel's retry.
    early = tl.thread_per_request(90, S)
    late = tuple(tl.request(tl.T0 + 1.2, tl.T0 + 1.2 + S, thread=500 + i) for i in range(10))
    text = diagnose(figures(early + late), 2)
    assert "; 10 of 100 requests reached the app 1.2 s after the rest: the server's listen backlog overflowed" in text
    # One at a time with a long handler leaves gaps of one service time: no retry in that.
    serial = diagnose(summarize(tl.measure(tl.worker_pool(N, 0.6, 1), 0.6), 200), 2)
    assert "backlog" not in serial


def streamed_burst(k: int, stream_s: float = 2.0) -> Measurement:
    """httpbin's /drip on a pool of k threads: the view returns in S, the body streams for `stream_s`, and a
    thread takes its next request only when its stream has ended."""

    def streamed(timing: RequestTiming) -> RequestTiming:
        assert timing.server is not None
        return replace(timing, done_s=timing.server.exit_s + stream_s)

    alone = tuple(streamed(t) for t in tl.calibration(S))
    burst = tuple(
        streamed(tl.request(tl.T0 + (i // k) * (S + stream_s), tl.T0 + (i // k) * (S + stream_s) + S, thread=i % k))
        for i in range(12)
    )
    return Measurement(calibration=alone, bursts=(burst,) * 3)


def test_a_streamed_body_is_judged_on_what_clients_experienced() -> None:
    """The middleware's span ends where the body starts, so it cannot see a pool busy streaming: the verdict
    uses client-side C, which sees the pool (and a serial server's gaps are no late wave of the backlog)."""
    pool = summarize(streamed_burst(4), 200)
    assert pool.streamed and pool.basis == "client C" and 3.5 <= pool.measured <= 4.5
    judged = judge(pool, 2.8, 5.7, ">= 2.8 and <= 5.7")
    assert judged.verdict == "pass" and "the body streams after the view answered (" in judged.reason
    assert diagnose(pool, 2).startswith("concurrency is capped at about 4 (client-side figures: the body streams")
    serial = summarize(streamed_burst(1), 200)
    assert serial.measured < 1.1 and "backlog" not in diagnose(serial, 2)
    assert not summarize(tl.measure(tl.worker_pool(12, S, 4), S), 200).streamed  # a view that answers at once
