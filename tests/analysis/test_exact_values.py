"""Exact values and boundary cases that catch wrong numbers (issue 13; see benchmarks/mutation_score.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import quantities as pq
import yaml

from ephystool.analysis.bursts import BurstSettings, max_interval_bursts
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
    from ephystool.analysis.ltp.params import LtpParams

    text = (REPO / "protocols" / name).read_text()
    assert 'post_window: ["50 min", "60 min"]' in text
    for p in (LtpParams(), LtpParams.from_protocol({})):
        lo, hi = (float(q.rescale("min").magnitude) for q in p.post_window)
        assert (lo, hi) == (50.0, 60.0)
