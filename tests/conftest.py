"""Shared fixtures: the real-data folder (skips with a reason where absent) and temporary copies."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata_dir() -> Path:
    """``../shared/realdata``; tests using it skip cleanly in a user's clone."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is absent (a user's clone): real-file tests skipped")
    return REALDATA


@pytest.fixture(scope="session")
def patchclamp_dir(realdata_dir: Path) -> Path:
    return realdata_dir / "patchclamp"


@pytest.fixture(scope="session")
def mea_dir(realdata_dir: Path) -> Path:
    return realdata_dir / "mea"
