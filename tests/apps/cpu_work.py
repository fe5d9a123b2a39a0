"""A fixed amount of pure-Python CPU work, for the reference apps' CPU-bound routes."""

import time


def _rounds_per_second() -> float:
    """How many rounds of the loop take a second of CPU here: measured once, at import, so that a handler does
    a fixed amount of work (a loop that ran until its thread's CPU clock said so would do less when its
    thread's clock also counts the time spent taking turns at the GIL)."""
    best = 0.0
    for _ in range(3):
        started, rounds = time.thread_time(), 0
        while time.thread_time() - started < 0.01:
            sum(range(200))
            rounds += 1
        best = max(best, rounds / (time.thread_time() - started))
    return best


ROUNDS_PER_S = _rounds_per_second()


def spin(seconds: float) -> int:
    """About `seconds` of CPU, holding the GIL between rounds as any Python loop does."""
    total = 0
    for _ in range(int(seconds * ROUNDS_PER_S)):
        total += sum(range(200))
    return total
