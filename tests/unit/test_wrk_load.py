"""The benchmark's merged percentiles: several slices' latencies read as one run's."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from benchmarks.wrk_load import merged_percentile


def _slice(latencies: list[float]) -> dict[str, Any]:
    """What wrk reports of a slice: its requests and its latency at every tenth of
    a percent (nearest rank, as wrk's HdrHistogram does to its resolution)."""
    ordered = sorted(latencies)
    n = len(ordered)
    quantiles = [ordered[max(0, math.ceil(i / 1000 * n) - 1)] for i in range(1, 1001)]
    return {"requests": n, "quantiles": quantiles}


def _percentile(latencies: list[float], fraction: float) -> float:
    ordered = sorted(latencies)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.99])
def test_merged_slices_give_the_whole_runs_percentile(fraction: float) -> None:
    rng = random.Random(8)
    # A slow slice with few requests and a fast one with many, as when the machine
    # stalls for a moment: the run's percentiles weigh each by its requests.
    slow = [rng.uniform(20, 80) for _ in range(900)]
    fast = [rng.uniform(5, 15) for _ in range(4100)]
    medium = [rng.uniform(10, 30) for _ in range(3000)]

    merged = merged_percentile([_slice(slow), _slice(fast), _slice(medium)], fraction)

    exact = _percentile(slow + fast + medium, fraction)
    # The slices' quantiles are a tenth of a percent apart: so is the answer.
    ranks = sorted(slow + fast + medium)
    low = ranks[max(0, math.ceil((fraction - 0.002) * len(ranks)) - 1)]
    high = ranks[min(len(ranks) - 1, math.ceil((fraction + 0.002) * len(ranks)) - 1)]
    assert low <= merged <= high
    assert abs(merged - exact) <= high - low


def test_one_slice_is_its_own_percentile_and_a_worse_slice_raises_it() -> None:
    rng = random.Random(9)
    steady = [rng.uniform(5, 15) for _ in range(3000)]
    stalled = [rng.uniform(40, 90) for _ in range(100)]

    alone = merged_percentile([_slice(steady)], 0.99)
    assert alone == _slice(steady)["quantiles"][989]
    with_stall = merged_percentile([_slice(steady), _slice(stalled)], 0.99)
    # 100 of 3,100 requests took 40 ms or more: the run's p99 is one of them.
    assert with_stall >= 40
    assert with_stall <= max(stalled)
