"""Export detected spikes: a tidy CSV table and an NWB file (``Units`` table, read back by pynwb).

Written atomically (temporary name, then rename); raw data are never touched.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import quantities as pq

from ephystool.atomic import atomic_write

__all__ = ["write_spikes_nwb", "read_spikes_nwb"]


def write_spikes_nwb(path: str | Path, spiketrains: Sequence[Any], *, session_description: str = "ephystool spikes",
                     identifier: str = "ephystool", source: str = "",
                     start_time: _dt.datetime | None = None) -> Path:
    """Write spike trains (``neo.SpikeTrain``, annotated with ``electrode``/``well``) as an NWB ``Units`` table.

    Parameters
    ----------
    path : str or Path
        Destination ``.nwb`` file (written atomically).
    spiketrains : sequence of neo.SpikeTrain
        One train per electrode/unit; empty trains are kept so every electrode appears.
    start_time : datetime, optional
        Session start (default 2000-01-01 UTC, so that files are reproducible).

    Returns
    -------
    Path
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    start = start_time or _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)
    times = [np.asarray(st.times.rescale(pq.s).magnitude, dtype=float) for st in spiketrains]
    labels = [str(st.annotations.get("electrode", st.name or "")) for st in spiketrains]
    wells = [str(st.annotations.get("well", "")) for st in spiketrains]
    if times:  # the table through h5py (pynwb's layout without its ~0.5 s of imports and object layer)
        from ephystool.io._nwb_units import write_units_h5

        def _write(tmp: Path) -> None:
            write_units_h5(tmp, times, labels, wells, session_description=session_description,
                           identifier=identifier, source=source, start_time=start)
    else:  # no unit at all: pynwb writes the empty file
        def _write(tmp: Path) -> None:
            from pynwb import NWBHDF5IO, NWBFile

            nwb = NWBFile(session_description=session_description, identifier=identifier, session_start_time=start,
                          source_script=source or None, source_script_file_name="ephystool" if source else None)
            nwb.add_unit_column("electrode_label", "electrode label as the vendor names it")
            nwb.add_unit_column("well", "well (multi-well plates) or empty")
            with NWBHDF5IO(str(tmp), "w") as io:
                io.write(nwb)

    atomic_write(out, _write, suffix=".nwb")  # pynwb wants the .nwb extension
    return out


def read_spikes_nwb(path: str | Path) -> list[tuple[str, str, np.ndarray]]:
    """(electrode, well, spike times in s) per unit of an NWB file written by :func:`write_spikes_nwb`."""
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(str(path), "r") as io:
        units = io.read().units
        return [(str(units["electrode_label"][i]), str(units["well"][i]), np.asarray(units["spike_times"][i]))
                for i in range(len(units))]
