"""Measuring again while no burst tested the app: hand-made measurements through the runner's measure seam."""

from __future__ import annotations

import pytest

from checker.analysis.figures import AttemptFigures
from checker.analysis.verdict import judge
from checker.config import Burst, Endpoint
from checker.run.runner import MEASUREMENTS_UNTIL_TESTED, measure_testing_the_app
from checker.wire import Measurement
from tests import timelines as tl

CPU_S = 0.001
CALIBRATION = tl.calibration(CPU_S, cpu_share=1.0)
# A busy machine let each burst's released threads into the app one by one: no two met there.
ALONE = Measurement(CALIBRATION, (tl.one_at_a_time_alone(10, CPU_S),) * 3, others_cpu_cores=1.5)
LOCK = Measurement(CALIBRATION, (tl.lock_around_cpu(10, CPU_S),) * 3, others_cpu_cores=1.9)


def played(*measurements: Measurement) -> tuple[Measurement, AttemptFigures, int]:
    pending = list(measurements)
    calls = 0

    def measure(base_url: str, endpoint: Endpoint, burst: Burst) -> tuple[Measurement, int]:
        nonlocal calls
        calls += 1
        return pending.pop(0), 1000

    measurement, figures = measure_testing_the_app(measure, "http://127.0.0.1:1", Endpoint(path="/"), Burst())
    assert len(figures.bursts) == len(measurement.bursts)
    return measurement, figures, calls


def test_bursts_that_never_met_in_the_app_are_measured_again_and_the_one_that_did_decides() -> None:
    measurement, figures, calls = played(ALONE, LOCK)
    assert calls == 2 and len(measurement.bursts) == 6
    assert measurement.others_cpu_cores == 1.9  # the busier of the two: the machine as the verdict saw it
    assert figures.measured == pytest.approx(1.0, abs=0.1)
    assert judge(figures, None, 1.5, "serialized").verdict == "pass"


def test_a_burst_that_tested_the_app_is_not_measured_again() -> None:
    assert played(LOCK, ALONE)[2] == 1


def test_measuring_again_stops_after_its_limit_and_passes_on_what_it_saw() -> None:
    measurement, figures, calls = played(*[ALONE] * 5)
    assert calls == MEASUREMENTS_UNTIL_TESTED and len(measurement.bursts) == 3 * MEASUREMENTS_UNTIL_TESTED
    assert figures.measured == 10
