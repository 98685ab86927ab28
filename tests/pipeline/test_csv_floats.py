"""Tables written as CSV: floats pre-formatted by ``write_table`` give exactly pandas' ``float_format`` text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ephystool.atomic import FLOAT_FORMAT, _formatted_floats, write_table


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    v = np.concatenate([[np.inf, -np.inf, -0.0, 0.0, 1e300, 5e-324], rng.standard_normal(n) * 10.0 ** rng.integers(-12, 12, n)])
    v[6::7] = np.nan
    v = v[:n]
    return pd.DataFrame({"electrode": ["A1"] * n, "time_s": v, "amp32": np.nan_to_num(v, posinf=1, neginf=-1)
                         .clip(-1e30, 1e30).astype(np.float32), "n": np.arange(n), "ok": np.arange(n) % 2 == 0,
                         "nullable": pd.array(v, dtype="Float64"), "label": pd.array(["x"] * n, dtype="string")})


def test_same_text_as_pandas_float_format(tmp_path: Path) -> None:
    for n in (0, 1, 500):  # an empty table, one row, many
        df = _frame(n)
        before = df.copy()
        got = write_table(tmp_path / f"t{n}.csv", df).read_text()
        assert got == df.to_csv(index=False, lineterminator="\n", float_format=FLOAT_FORMAT)
        pd.testing.assert_frame_equal(df, before)  # the caller's frame is not changed
    assert "1e+300" in got and ",inf," in got and ",-0," in got


def test_duplicate_columns_left_to_pandas() -> None:
    df = pd.DataFrame([[1.5, 2.5]], columns=["a", "a"])
    assert _formatted_floats(df) is df
