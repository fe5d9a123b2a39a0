"""Diagnosis rules on hand-made figures: each sentence for the situation it names, and nothing guessed."""

from __future__ import annotations

from checker.analysis import AttemptFigures, BurstFigures, Latencies, ServerFigures, admitted_concurrency
from checker.diagnosis import diagnose

N = 10


def figures(
    measured: float, admitted: int | None, processes: int = 1, cpu_alone: float | None = 0.02
) -> AttemptFigures:
    server = (
        ServerFigures(
            processes=processes,
            threads=max(admitted, 1),
            admitted_concurrency=admitted,
            arrival_spread_s=0.01,
            cpu_share_p50=0.01,
        )
        if admitted is not None
        else None
    )
    burst = BurstFigures(
        requests=N,
        effective_concurrency=measured,
        burst_wall_s=1.0,
        send_spread_s=0.01,
        latency=Latencies(0.5, 0.9, 1.0),
        errors=0,
        first_error=None,
        server=server,
    )
    return AttemptFigures(
        calibration_latency_s=0.1,
        calibration_requests=3,
        bursts=(burst,),
        calibration_errors=0,
        first_calibration_error=None,
        calibration_cpu_share=cpu_alone if admitted is not None else None,
    )


def test_admitted_concurrency_counts_overlap_not_touching_intervals() -> None:
    assert admitted_concurrency([(0, 1), (1, 2), (2, 3)]) == 1
    assert admitted_concurrency([(0, 3), (1, 2), (1.5, 4), (3.5, 5)]) == 3
    assert admitted_concurrency([]) == 0


def test_server_one_at_a_time() -> None:
    assert diagnose(figures(1.0, 1), 2) == "the server handles one request at a time (threaded=False / one sync worker)"


def test_app_serializes_what_the_server_admitted() -> None:
    text = diagnose(figures(1.0, N), 2)
    assert text.startswith("the server ran them together (10 inside the app at once) but the app serialized them")


def test_cpu_bound_under_the_gil() -> None:
    text = diagnose(figures(1.05, N, cpu_alone=0.97), 2)
    assert "the handler is CPU-bound (97% CPU when alone)" in text and "GIL" in text


def test_cpu_bound_across_processes_is_capped_by_cores() -> None:
    assert "2 CPU cores cap it at about 2" in diagnose(figures(1.9, 4, processes=4, cpu_alone=0.97), 2)


def test_pool_of_k() -> None:
    assert diagnose(figures(3.8, 4, processes=4), 2).startswith("concurrency is capped at about 4: a pool of 4")


def test_app_caps_below_what_the_server_admitted() -> None:
    assert "only about 2 made progress together: the app caps concurrency" in diagnose(figures(2.1, N), 2)


def test_concurrent() -> None:
    assert diagnose(figures(9.4, N), 2).startswith("requests ran concurrently: 10 inside the app at once")


def test_client_side_only_never_guesses_the_cause() -> None:
    assert diagnose(figures(1.0, None), 2).startswith("requests ran one after another (client-side figures only")
    assert diagnose(figures(3.1, None), 2).startswith("concurrency is capped at about 3 (client-side figures only")
