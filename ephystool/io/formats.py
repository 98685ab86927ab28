"""Per format: the reader ephystool uses and the traps it handles (the README table is generated from here).

``python -m ephystool.io.formats`` prints the Markdown table; ``tests/io/test_formats_table.py`` checks that
the README holds exactly this table, so the documentation cannot drift from the loaders.
"""

from __future__ import annotations

__all__ = ["FORMAT_TABLE", "markdown_table"]

#: (format, files, reader, traps handled)
FORMAT_TABLE: tuple[tuple[str, str, str, str], ...] = (
    ("Axon ABF1/ABF2", "`.abf`", "neo `AxonRawIO` (samples, episode times) + pyABF (tags, epochs, DACs)",
     "section pointers/counts checked against the file size; truncated files refused; units looked up, never "
     "evaluated (`9**9**9`, NUL padding); the command is the enabled DAC; digital-output stimuli; command "
     "copies named; holding from a recorded Vm channel when the header disagrees; ABF1 without synch array "
     "split; tags from pyABF"),
    ("NWB 2 icephys / ecephys", "`.nwb`", "pynwb (a plain ecephys `ElectricalSeries`: h5py in chunks, same samples)",
     "sweeps by the intracellular-recordings table, `sweep_number`, `starting_time` (never names as text); "
     "stimulus series as the command; units through the table"),
    ("Multi Channel Systems HDF5", "`.h5`", "h5py (own reader)", "ADZero, ConversionFactor, Exponent per channel; "
     "every stream"),
    ("AxoGraph", "`.axgd` `.axgx` `.axg`", "neo `AxographRawIO`", "SI units scaled to mV/pA; no current invented"),
    ("WinWCP", "`.wcp`", "neo `WinWcpRawIO`", "unit `mv` read as mV (neo: dimensionless)"),
    ("CED Spike2", "`.smr` `.smrx`", "neo `Spike2RawIO` / `CedRawIO`", "units through the table"),
    ("Igor", "`.ibw`", "igor2 (own series reader, `ephystool/io/igor.py`)",
     "a folder of `<name>_ch<k>_<sweep>.ibw` waves (or any wave in it) is one recording, sweeps matched by number; "
     "SI units (V, A) through the table; step window from the wave note's `Pulse(...)` (source `file`)"),
    ("Open Ephys legacy", "folder of `.continuous`", "neo `OpenEphysRawIO`",
     "the folder (or any file in it) is one recording; `.continuous` sizes checked (1024 + n x 2070)"),
    ("Open Ephys binary", "folder with `structure.oebin`", "neo `OpenEphysBinaryRawIO`",
     "neural stream by default (`--stream`); ADC channels labelled uV read as volts"),
    ("3Brain BrainWave", "`.brw`", "neo `BiocamRawIO`", "unsigned samples with the header offset (2048 = 0 uV)"),
    ("Intan / Maxwell / Blackrock", "`.rhd` `.rhs` / `.raw.h5` / `.ns1`-`.ns6`",
     "neo `IntanRawIO` / `MaxwellRawIO` / `BlackrockRawIO`", "chunked; units "
     "through the table"),
    ("Raw binary", "any + JSON/YAML sidecar", "numpy memmap", "dtype, channels, gain from the sidecar"),
    ("MEA spike lists", "Axion CSV, MC_DataTool text, `.nex`, spike HDF5, MEA-NAP `.mat`", "own readers",
     "see `ephystool/io/spikelists.py`"),
    ("HEKA PatchMaster", "`.dat` (DAT2 bundle)", "own reader (HEKA's published file format)",
     "one series per recording (`--stream`; several series are said in a warning); tree and data offsets "
     "checked against the file; older unbundled files refused with one line"),
)


def markdown_table() -> str:
    """The format table as Markdown (what README.md's 'Supported formats' section holds)."""
    lines = ["| format | files | reader | traps handled |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in FORMAT_TABLE]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown_table())
