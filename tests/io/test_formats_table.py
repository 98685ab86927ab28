"""README's format table is the one generated from ephystool.io.formats (documentation cannot drift)."""

from __future__ import annotations

from pathlib import Path

from ephystool.io.formats import FORMAT_TABLE, markdown_table
from ephystool.io.neo_generic import FORMATS as NEO_FORMATS
from ephystool.io.neo_mea import FORMATS as MEA_FORMATS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_holds_the_generated_table() -> None:
    assert markdown_table() in README.read_text(encoding="utf-8")


def test_every_neo_reader_is_in_the_table() -> None:
    readers = " ".join(r for _, _, r, _ in FORMAT_TABLE)
    for cls in {c for c, _, _ in NEO_FORMATS.values()} - {"IgorIO"}:
        assert cls.replace("IO", "RawIO") in readers or cls in readers, cls
    for cls, _ in MEA_FORMATS.values():
        assert cls in readers or cls.removesuffix("RawIO") in readers, cls
