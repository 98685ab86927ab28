"""Exact values and boundary cases that catch wrong numbers (issue 13; see benchmarks/mutation_score.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import quantities as pq
import yaml

from ephystool.analysis.bursts import BurstSettings, electrode_stats, max_interval_bursts
from ephystool.analysis.firing_mea import FiringMEAParams

REPO = Path(__file__).resolve().parents[2]


def test_burst_of_exactly_min_spikes_is_kept() -> None:
    """Five spikes 50 ms apart (duration 0.2 s): exactly ``min_spikes`` = 5, so one burst (Legendy-style >=)."""
    times = np.array([1.0, 1.05, 1.10, 1.15, 1.20, 5.0])
    b = max_interval_bursts(times, BurstSettings())
    assert len(b.first) == 1
    assert int(b.first[0]) == 0 and int(b.last[0]) == 4


def test_burst_of_one_spike_fewer_is_dropped() -> None:
    """Four spikes 50 ms apart are one fewer than ``min_spikes``: no burst."""
    times = np.array([1.0, 1.05, 1.10, 1.15, 5.0])
    assert len(max_interval_bursts(times, BurstSettings()).first) == 0


@pytest.mark.parametrize("name", ["mea_spontaneous.yaml", "mea_excitotoxicity.yaml"])
def test_mea_defaults_equal_packaged_protocol(name: str) -> None:
    """Params defaults equal the packaged templates: 5 SD threshold, 5 spikes/min, 250 ms burst end."""
    doc = yaml.safe_load((REPO / "protocols" / name).read_text())

    def find(node: object, key: str) -> object:
        if isinstance(node, dict):
            if key in node:
                return node[key]
            for v in node.values():
                hit = find(v, key)
                if hit is not None:
                    return hit
        return None

    d = FiringMEAParams()
    parsed = FiringMEAParams.from_protocol({})
    for p in (d, parsed):
        assert p.threshold_sd == pytest.approx(float(find(doc, "threshold_sd")))
        assert p.active_min_spikes_per_min == pytest.approx(float(find(doc, "active_min_spikes_per_min")))
        assert float(p.burst_max_isi_end.rescale(pq.ms).magnitude) == pytest.approx(
            float(pq.Quantity(float(str(find(doc, "burst_max_isi_end")).split()[0]), "ms").magnitude))


@pytest.mark.parametrize("name", ["ltp_fepsp.yaml", "ltd_fepsp.yaml"])
def test_ltp_post_window_default_equals_packaged_protocol(name: str) -> None:
    """LTP/LTD post window 50-60 min in the template, the dataclass default and the parser default."""
    from ephystool.analysis.ltp import LtpParams  # public path (the private module may move)

    text = (REPO / "protocols" / name).read_text()
    assert 'post_window: ["50 min", "60 min"]' in text
    for p in (LtpParams(), LtpParams.from_protocol({})):
        lo, hi = (float(q.rescale("min").magnitude) for q in p.post_window)
        assert (lo, hi) == (50.0, 60.0)


def _train(n_spikes: int, seconds: float = 60.0):
    import neo

    t = np.linspace(1.0, seconds - 1.0, n_spikes)
    return neo.SpikeTrain(t * pq.s, t_start=0.0 * pq.s, t_stop=seconds * pq.s, name="A1",
                          annotations={"electrode": "A1", "well": "A"})


@pytest.mark.parametrize(("n_per_min", "active"), [(4, False), (5, True), (6, True)])
def test_active_electrode_boundary_at_default_5_per_min(n_per_min: int, active: bool) -> None:
    """An electrode at 4 spikes/min is inactive, at exactly 5 (the default, >=) active (Axion/EPA criterion)."""
    p = FiringMEAParams()
    st = electrode_stats(_train(n_per_min), 0.0, 60.0, p.bursts(), p.active_min_spikes_per_min, {})
    assert st.active is active
    assert st.metrics()["firing_rate"] == pytest.approx(n_per_min / 60.0)


@pytest.mark.parametrize(("gap_s", "n_bursts"), [(0.8, 2), (0.75, 1)])
def test_bursts_exactly_min_ibi_apart_stay_apart(gap_s: float, n_bursts: int) -> None:
    """Bursts merge when less than ``min_ibi`` (0.8 s) separates the last spike of one from the first of the next;
    at exactly 0.8 s they stay two (the boundary the max-interval method states as 'less than')."""
    first = np.array([1.00, 1.05, 1.10, 1.15, 1.20])
    train = np.concatenate((first, np.round(first + 0.20 + gap_s, 10)))
    assert train[5] - train[4] == pytest.approx(gap_s, abs=1e-12)
    if gap_s == 0.8:
        assert train[5] - train[4] >= BurstSettings().min_ibi  # the float gap really is at the boundary
    b = max_interval_bursts(train, BurstSettings())
    assert len(b.start_s) == n_bursts
    assert b.start_s[0] == 1.00 and b.end_s[-1] == train[-1]
