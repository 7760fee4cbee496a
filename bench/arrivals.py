"""What the harness's request log shows about pacing: how close a run came to a 429, and what the
sliding window cost beyond its minimum.

The harness counts a request when it arrives (after its latency), in a sliding one-second window, so
two accepted arrivals `per_second` apart in arrival order must be at least a second apart; the
smallest such gap, less the second, is the room a run kept (a 429 needs less than none)."""

from __future__ import annotations


def accepted_arrivals(log: list[dict]) -> list[float]:
    """Arrival times of the requests the harness counted (every answer but a 429), in order."""
    return sorted(entry["at"] for entry in log if entry["status"] != 429)


def closest_to_a_429_ms(log: list[dict], per_second: int) -> float:
    """The smallest gap between accepted arrivals `per_second` apart, beyond the second, in ms."""
    arrivals = accepted_arrivals(log)
    gaps = [arrivals[i + per_second] - arrivals[i] for i in range(len(arrivals) - per_second)]
    return 1000 * (min(gaps) - 1.0) if gaps else float("nan")


def pacing_beyond_minimum(log: list[dict], per_second: int) -> float:
    """Seconds from the first arrival to the last beyond the least the window allows: n requests need
    (n - 1) // per_second seconds at the least (each is a second after the one per_second before it)."""
    arrivals = sorted(entry["at"] for entry in log)
    return arrivals[-1] - arrivals[0] - (len(arrivals) - 1) // per_second
