"""`burstcheck init`: which route to burst, from how each answered when tried in the app's process (pure).

The slowest route that answered 200 does the most work per request (a query, a call to another service): a
burst of it shows whether that work runs concurrently. A route that answers in well under a millisecond
shows little but the server's own overhead; where every route is that quick, init says so."""

from __future__ import annotations

from dataclasses import dataclass

from checker.wire import RouteTrial

# Below this a route does next to no work: its burst measures the server's and the client's overheads, and the
# verdict's timing of it is as noisy as those (the Flask `/` went red for it).
TRIVIAL_MS = 1.0


@dataclass(frozen=True)
class EndpointChoice:
    path: str
    why: str  # one line: why this route
    others: list[str]  # the other routes, each with how it answered, for comments
    trivial: bool  # every route that answered is quicker than TRIVIAL_MS


def describe(trial: RouteTrial) -> str:
    if trial.median_ms is not None and trial.status == 200:
        return f"{trial.path}: {trial.median_ms:.1f} ms" + (" (streams its body)" if trial.streamed else "")
    if trial.error is not None:
        return f"{trial.path}: {trial.error}"
    return f"{trial.path}: answered {trial.status}"


def choose_endpoint(routes: list[str], trials: list[RouteTrial], note: str | None = None) -> EndpointChoice:
    """The slowest route that answered 200 without streaming its body (a stream's time is its pace, not work
    that a burst would overlap: the verdict can only judge the view); without one, the first route (or '/'),
    saying why."""
    answered = [t for t in trials if t.status == 200 and t.median_ms is not None]
    answered = [t for t in answered if not t.streamed] or answered
    if answered:
        chosen = max(answered, key=lambda t: t.median_ms or 0.0)
        others = [describe(t) for t in trials if t is not chosen]
        median_ms = chosen.median_ms or 0.0
        trivial = median_ms < TRIVIAL_MS
        why = (
            f"every route answered in under {TRIVIAL_MS:g} ms when tried; {chosen.path} was the slowest"
            f" ({median_ms:.2f} ms)"
            if trivial
            else f"the slowest route that answered 200 when tried ({median_ms:.1f} ms a call)"
        )
        if chosen.streamed:
            why += "; it streams its body, and no route that answers at once was found"
        return EndpointChoice(chosen.path, why, others, trivial)
    if not routes:
        why = "no GET route without parameters was found: '/' is a guess"
        return EndpointChoice("/", why, [], False)
    if trials:
        why = "no route answered 200 when tried: the first one is a guess"
    else:
        why = f"the routes were not tried ({note}): the first one is a guess" if note else "the first route"
    return EndpointChoice(routes[0], why, [describe(t) for t in trials[1:]] or routes[1:], False)
