"""Benchmark: ephystool's synaptic-event detection beside a plain scipy peer, on real and simulated data.

The peer is the scipy threshold search that produced the expected values in
``shared/realdata/more/PROVENANCE.md`` (50-ms running-median baseline subtracted, 0.5-ms boxcar,
``scipy.signal.find_peaks`` on the inverted trace with height and prominence >= the amplitude
threshold and >= 3 ms between peaks). (``clampsuite`` installs from PyPI but pulls in PyQt5; it was
not used.)

Three parts:

1. Real gap-free voltage-clamp files (``more/vc_spontaneous``): events and mean amplitude per file
   from ephystool (template matching, the cell's template kinetics), the peer and PROVENANCE, and the
   agreement of the two detections (events of one within 3 ms of an event of the other).
2. Simulated truth (5 Hz, lognormal 5-60 pA, 2.5 pA RMS noise with 1/f content): recall of events
   >= 3.5 noise SD and precision (+-1 ms of the true onset; the peer reports peaks, so +-3 ms).
3. Throughput on a 10-min, 20 kHz recording (12 M samples): samples per second of both, best of
   ``--repeat`` runs, and the detection counts.

4. (``--acceptance N``) the issue's synthetic acceptance with about N events per seed.

Usage: ``python benchmarks/bench_events.py [--minutes 10] [--repeat 2] [--acceptance 1000] [--realdata PATH]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def peer_detect(x: np.ndarray, rate: float, thr_pA: float, window: tuple[float, float] | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """The PROVENANCE reference method: (peak times in s, amplitudes in pA, negative = inward)."""
    from scipy.ndimage import median_filter, uniform_filter1d
    from scipy.signal import find_peaks

    n_med = int(0.05 * rate) | 1
    step = max(n_med // 10, 1)  # running median on a decimated copy (as fast implementations do)
    base = np.repeat(median_filter(x[::step], size=max(n_med // step, 1) | 1, mode="nearest"), step)[: x.size]
    y = uniform_filter1d(x - base, max(int(round(0.0005 * rate)), 1), mode="nearest")
    idx, _ = find_peaks(-y, height=thr_pA, prominence=thr_pA, distance=max(int(0.003 * rate), 1))
    t = idx / rate
    if window is not None:
        keep = (t >= window[0]) & (t < window[1])
        idx, t = idx[keep], t[keep]
    return t, y[idx]


def _agree(a: np.ndarray, b: np.ndarray, tol: float) -> float:
    """Fraction of times in ``a`` with a time of ``b`` within ``tol``."""
    if a.size == 0:
        return float("nan")
    if b.size == 0:
        return 0.0
    j = np.clip(np.searchsorted(b, a), 1, b.size - 1) if b.size > 1 else np.zeros(a.size, int)
    d = np.minimum(np.abs(b[j] - a), np.abs(b[np.maximum(j - 1, 0)] - a))
    return float(np.mean(d <= tol))


def real_files(root: Path) -> None:
    from ephystool.analysis.events import EventsParams, analyze
    from ephystool.io import load

    expected = json.loads((root / "expected_values.json").read_text())
    cases = {"171116sh_0020.abf": ({"min_amplitude": "8 pA", "analysis_window": ["0.5 s", "10 s"],
                                    "peak_smoothing": "0.5 ms"}, 8.0, (0.5, 10.0)),
             "patchclampplotteR_sample_abf_excerpt.abf": ({"min_amplitude": "5 pA", "template_decay": "2 ms",
                                                           "peak_smoothing": "0.5 ms"}, 5.0, None)}
    print("\n1. real files (PROVENANCE threshold; per sweep: count / mean amplitude pA)")
    print("   agree: fraction of one tool's event peaks within 1 ms of the other's (all / both >= 2 x threshold)")
    print(f"{'file / sweep':34s} {'PROVENANCE':>14s} {'ephystool':>14s} {'scipy peer':>14s} {'e->p':>11s} {'p->e':>11s}")
    for name, (par, thr, win) in cases.items():
        rec = load(root / "vc_spontaneous" / name, kind="voltage_clamp")
        res = analyze(rec, EventsParams.from_protocol(par))
        for row in expected[f"vc_spontaneous/{name}"]["per_sweep"]:
            k = row["sweep"]
            x = np.asarray(rec.signal(k).rescale("pA").magnitude, float).ravel()
            rate = float(rec.signal(k).sampling_rate.rescale("Hz"))
            pt, pa = peer_detect(x, rate, thr, win)
            ev = [e for e in res.events if e["sweep"] == k]
            et = np.array([e["time_in_sweep_s"] + e["time_to_peak_ms"] * 1e-3 for e in ev])  # peaks, as the peer
            ea = np.mean([e["amplitude"] for e in ev]) if ev else float("nan")
            eb = et[np.array([e["amplitude"] for e in ev]) >= 2 * thr]
            pb = pt[np.abs(pa) >= 2 * thr]
            print(f"{name[:28] + ' / ' + str(k):34s} {row['n_events']:5d} / {abs(row['mean_amp_pA']):5.1f} "
                  f"{len(ev):5d} / {ea:5.1f}  {pt.size:5d} / {abs(np.mean(pa)):5.1f}  "
                  f"{_agree(et, pt, 0.001):5.2f}/{_agree(eb, pt, 0.001):4.2f} {_agree(pt, et, 0.001):5.2f}/{_agree(pb, et, 0.001):4.2f}")


def simulated(seed: int = 11) -> None:
    from ephystool.analysis.events import EventsParams, analyze
    from ephystool.simulate.events import simulate_events

    rec, tr = simulate_events(seed=seed, duration_s=60.0, frequency_hz=5.0, noise_rms_pA=2.5)
    times, big = tr["times_s"], tr["amplitudes_pA"] >= 3.5 * 2.5
    res = analyze(rec, EventsParams.from_protocol({"min_amplitude_sd": 3.5}))
    et = np.array([e["time_s"] for e in res.events])
    x = np.asarray(rec.signal(0).magnitude, float).ravel()
    pt, _ = peer_detect(x, 20000.0, 3.5 * 2.5)
    print("\n2. simulated truth (60 s, 5 Hz, 2.5 pA RMS noise with 1/f, cut 3.5 SD = 8.75 pA)")
    print(f"   ephystool: recall {_agree(times[big], et, 0.001):.3f} precision {_agree(et, times, 0.001):.3f} (+-1 ms); "
          f"recall {_agree(times[big], et, 0.003):.3f} precision {_agree(et, times, 0.003):.3f} (+-3 ms)")
    print(f"   scipy peer: recall {_agree(times[big], pt, 0.003):.3f} precision {_agree(pt, times, 0.003):.3f} "
          "(+-3 ms: it reports peaks)")


def acceptance(n_events: int) -> None:
    """Issue 20's synthetic acceptance at full size: 10 fresh seeds, 1-10 Hz, about ``n_events`` each."""
    import sys

    from ephystool.analysis.events import EventsParams, analyze
    from ephystool.simulate.events import simulate_events

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "analysis"))
    from test_events import CUT_SD, _match

    print(f"\n4. acceptance, 10 seeds, about {n_events} events each (the CI test uses about 160)")
    print("   seed  Hz  noise  recall(>=3.5SD)  precision  frequency err  median err")
    for seed in range(10):
        rng = np.random.default_rng(20_000 + seed)
        f, noise = 1.0 + seed, float(rng.uniform(2.0, 3.0))
        dur = n_events / f
        rec, tr = simulate_events(rng=rng, duration_s=dur, frequency_hz=f, noise_rms_pA=noise, pink_fraction=0.3)
        res = analyze(rec, EventsParams.from_protocol({"min_amplitude_sd": CUT_SD}))
        det = np.array([e["time_s"] for e in res.events])
        times, amps = tr["times_s"], tr["amplitudes_pA"]
        cut = CUT_SD * res.values["event_noise_sd"]
        ferr = res.values["event_frequency"] / (np.sum(amps >= cut) / dur) - 1
        merr = res.values["event_amplitude_median"] / np.median(amps[amps >= cut]) - 1
        print(f"   {seed:4d} {f:3.0f} {noise:6.2f} {_match(det, times)[amps >= CUT_SD * noise].mean():16.3f} "
              f"{_match(times, det).mean():10.3f} {100 * ferr:+13.1f}% {100 * merr:+10.1f}%")


def throughput(minutes: float, repeat: int) -> None:
    from ephystool.analysis.events import EventsParams, analyze
    from ephystool.simulate.events import simulate_events

    rec, tr = simulate_events(seed=3, duration_s=60.0 * minutes, frequency_hz=5.0, noise_rms_pA=2.5)
    x = np.asarray(rec.signal(0).magnitude, float).ravel()
    params = EventsParams.from_protocol({"min_amplitude_sd": 3.5})
    best = {"ephystool": np.inf, "scipy peer": np.inf}
    counts = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        counts["ephystool"] = len(analyze(rec, params).events)
        best["ephystool"] = min(best["ephystool"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        counts["scipy peer"] = peer_detect(x, 20000.0, 3.5 * 2.5)[0].size
        best["scipy peer"] = min(best["scipy peer"], time.perf_counter() - t0)
    print(f"\n3. throughput: {minutes:g} min at 20 kHz ({x.size / 1e6:.1f} M samples, {tr['times_s'].size} true events)")
    for k, v in best.items():
        print(f"   {k:10s}: {v:6.2f} s  {x.size / v / 1e6:6.2f} M samples/s  ({counts[k]} events)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--acceptance", type=int, default=0, help="also run the 10-seed acceptance with this many events")
    ap.add_argument("--realdata", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "more")
    a = ap.parse_args()
    if (a.realdata / "vc_spontaneous").is_dir():
        real_files(a.realdata)
    else:
        print(f"(no real data at {a.realdata}: part 1 skipped)")
    simulated()
    throughput(a.minutes, a.repeat)
    if a.acceptance:
        acceptance(a.acceptance)


if __name__ == "__main__":
    main()
