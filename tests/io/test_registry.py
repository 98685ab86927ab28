"""The reader registry: one ordered LOADERS tuple decides every file, with the precedence of its stages.

Signatures (magic bytes) decide whatever the name; HDF5 files go to the HDF5 loaders only; a name that
promises a signature the content lacks is refused as mislabelled; then extensions and content in order.
Every ``Loader`` a format module defines is registered (a reader cannot be written and forgotten), and
``SUPPORTED``, the manifest's extensions and the README table come from the tuple.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import ephystool.io
from ephystool.errors import CorruptFileError, UnsupportedFormatError
from ephystool.io.formats import FORMAT_TABLE
from ephystool.io.loader import FormatDoc, Loader
from ephystool.io.registry import KNOWN_EXTENSIONS, LOADERS, SUPPORTED, detect, detect_folder_recording

HDF5_HEAD = b"\x89HDF\r\n\x1a\n"


def _write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


def _h5(tmp: Path, name: str, groups: tuple[str, ...] = ()) -> Path:
    import h5py

    p = tmp / name
    with h5py.File(p, "w") as f:
        for g in groups:
            f.create_group(g)
    return p


_CHOICES = [
    ("dat2.abf", b"DAT2" + bytes(64), "heka"),  # a signature beats the extension
    ("abf2.h5", b"ABF2" + bytes(64), "abf"),
    ("wave.ibw", b"axgx" + bytes(64), "igor"),  # an extension claim comes before neo's magic-byte formats
    ("trace.axgd", b"axgx" + bytes(64), "axograph"),
    ("old.axg", b"AxGr" + bytes(64), "axograph_old"),
    ("cell.wcp", b"\x00" * 64, "winwcp"),
    ("rec.ns3", b"\x00" * 64, "blackrock"),
    ("rec.rhs", b"\x00" * 64, "intan"),
    ("spikes.txt", b"MC_DataTool ASCII conversion\n", "mcd_text"),
    ("list.csv", b"Investigator,Time (s),Electrode,Amplitude(mV)\n", "axion_csv"),
    ("units.nex", b"NEX1" + bytes(64), "nex"),
]


@pytest.mark.parametrize(("name", "data", "reader"), _CHOICES, ids=[c[0] for c in _CHOICES])
def test_each_stage_chooses_as_before(tmp_path: Path, name: str, data: bytes, reader: str) -> None:
    assert detect(_write(tmp_path, name, data)).name == reader


_MISLABELLED = [
    ("random.abf", b"\x07" * 64, "named .abf but does not start with an ABF signature: not an ABF file or damaged"),
    ("nex.abf", b"NEX1" + bytes(64), "named .abf but does not start with an ABF signature"),  # before content
    ("notes.h5", b"text\n", "named .h5 but is not an HDF5 file (no HDF5 signature): wrong file or damaged"),
    ("notes.hdf5", b"text\n", "named .hdf5 but is not an HDF5 file (no HDF5 signature)"),
    ("notes.nwb", b"text\n", "named .nwb but is not an HDF5 file (no HDF5 signature)"),
]


@pytest.mark.parametrize(("name", "data", "message"), _MISLABELLED, ids=[c[0] for c in _MISLABELLED])
def test_a_mislabelled_name_is_refused_with_the_signature_it_lacks(tmp_path: Path, name: str, data: bytes,
                                                                    message: str) -> None:
    with pytest.raises(CorruptFileError, match=message.replace(".", r"\.").replace("(", r"\(").replace(")", r"\)")):
        detect(_write(tmp_path, name, data))


def test_a_text_file_named_brw_is_not_called_mislabelled(tmp_path: Path) -> None:
    """.brw promises no signature check (as before): the file gets 'no reader', naming the formats."""
    with pytest.raises(UnsupportedFormatError, match="no reader for this file; supported: Axon ABF1/ABF2 \\(.abf\\)"):
        detect(_write(tmp_path, "notes.brw", b"text\n"))


def test_old_heka_is_refused_and_an_unknown_hdf5_is_named(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError, match="not a DAT2 bundle"):
        detect(_write(tmp_path, "rig.dat", b"DATA" + bytes(64)))
    with pytest.raises(UnsupportedFormatError, match="HDF5 file that is neither NWB, Multi Channel Systems"):
        detect(_h5(tmp_path, "empty.wcp"))  # HDF5 content is never offered to a non-HDF5 reader by name


@pytest.mark.parametrize(("groups", "reader"), [
    (("3BRecInfo",), "brw"), (("Well_A1", "ExperimentSettings"), "brw"), (("mapping",), "maxwell"),
    (("recordings", "wells"), "maxwell"), (("3BData", "mapping"), "brw"),
])
def test_hdf5_layouts_in_loader_order(tmp_path: Path, groups: tuple[str, ...], reader: str) -> None:
    assert detect(_h5(tmp_path, "x.h5", groups)).name == reader


def test_a_sidecar_is_asked_last(tmp_path: Path) -> None:
    raw = _write(tmp_path, "x.bin", bytes(16))
    (tmp_path / "x.bin.json").write_text("{}")
    assert detect(raw).name == "binary"
    wave = _write(tmp_path, "w.ibw", bytes(16))
    (tmp_path / "w.ibw.json").write_text("{}")
    assert detect(wave).name == "igor"


def test_an_igor_series_folder_is_one_recording(tmp_path: Path) -> None:
    for k in (1, 2):
        _write(tmp_path, f"cell_ch0_{k}.ibw", bytes(16))
    folder, loader = detect_folder_recording(tmp_path / "cell_ch0_1.ibw")
    assert (folder, loader.name) == (tmp_path, "igor")
    _write(tmp_path, "other_ch0_1.ibw", bytes(16))  # two series: each wave is its own file
    assert detect_folder_recording(tmp_path / "cell_ch0_1.ibw") is None


def _declared_loaders() -> dict[str, Loader]:
    found = {}
    for info in pkgutil.iter_modules(ephystool.io.__path__):
        mod = importlib.import_module(f"ephystool.io.{info.name}")
        for attr, value in vars(mod).items():
            if isinstance(value, Loader):
                found[f"{info.name}.{attr}"] = value
            elif isinstance(value, tuple) and value and all(isinstance(v, Loader) for v in value):
                found.update({f"{info.name}.{attr}[{i}]": v for i, v in enumerate(value)})
    return found


def test_every_declared_loader_is_registered_once() -> None:
    declared = _declared_loaders()
    missing = [k for k, v in declared.items() if not any(v is ld for ld in LOADERS)]
    assert not missing, f"Loaders defined but not in ephystool.io.registry.LOADERS: {missing}"
    assert len({id(ld) for ld in LOADERS}) == len(LOADERS)


def test_the_derived_lists_cover_every_loader() -> None:
    for ld in LOADERS:
        assert set(ld.extensions) <= KNOWN_EXTENSIONS
        if ld.doc is not None:
            assert ld.doc.supported in SUPPORTED
            assert (ld.doc.format, ld.doc.files, ld.doc.reader, ld.doc.traps) in FORMAT_TABLE
        else:
            assert ld.refusal, f"{ld.name}: a loader that reads files has a FormatDoc (README row)"
    assert len(FORMAT_TABLE) == len({row[0] for row in FORMAT_TABLE})


def test_a_loader_states_its_extensions_consistently() -> None:
    with pytest.raises(ValueError, match="lower-case"):
        Loader("x", (".ABF",), bool, bool)
    with pytest.raises(ValueError, match="go together"):
        Loader("x", (".x",), bool, bool, strict=(".x",))
    assert FormatDoc("F", "`.f` `.g`", "r", "t").supported == "F (.f .g)"
