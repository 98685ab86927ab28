"""Failure lines name the file once, with the stage and the message."""

from __future__ import annotations

from ephystool.pipeline.progress import failure_line


def test_file_named_once() -> None:
    f = {"recording": "bad/x.abf", "stage": "LoadError", "error": "/data/bad/x.abf: file does not exist; check the path"}
    assert failure_line(f) == "/data/bad/x.abf [LoadError]: file does not exist; check the path"


def test_message_without_the_file_gets_the_recording() -> None:
    f = {"recording": "plate.csv", "stage": "internal error", "error": "ValueError: boom (please report)\ntraceback"}
    assert failure_line(f) == "plate.csv [internal error]: ValueError: boom (please report)"
