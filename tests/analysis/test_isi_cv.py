"""The MEA electrodes' ISI CV (computed in NumPy) equals Elephant's ``cv`` of the same intervals."""

from __future__ import annotations

import neo
import numpy as np
import quantities as pq
from elephant.statistics import cv

from ephystool.analysis.bursts import BurstSettings, electrode_stats


def test_isi_cv_equals_elephant() -> None:
    rng = np.random.default_rng(7)
    for n in (3, 4, 50, 400):
        t = np.sort(rng.uniform(0.0, 60.0, n))
        st = neo.SpikeTrain(t * pq.s, t_stop=60.0 * pq.s, electrode="E1")
        got = electrode_stats(st, 0.0, 60.0, BurstSettings(0.1, 0.25, 0.8, 5, 0.05), 5.0, {}).isi_cv
        assert got == float(cv(np.diff(t)))
