"""``ephystool validate`` and ``ephystool.workflow.validate`` are one pipeline: the same files, report included."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from ephystool.compare._synth import nested_dataset

FILES = ("verdicts.json", "verdicts.csv", "summary.csv", "design.json", "report.html")


def _results() -> object:
    d = nested_dataset(4, 1, 2, effect_ratio=0.6, seed=4, conditions=("control", "mg_citrate"))
    return d.assign(recording=[f"r{i}.abf" for i in range(len(d))], protocol="nmda_epsc", analysis="nmda",
                    metric="nmda_peak", unit="pA", holding_mV=-70.0, component="isolated")


def test_cli_and_workflow_validate_write_the_same_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import ephystool.pipeline as pipeline
    from ephystool.cli import main
    from ephystool.workflow import validate

    table = _results()

    def fake_run(manifest_path: Path, out_dir: Path, **options: object) -> SimpleNamespace:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        table.to_csv(Path(out_dir) / "results.csv", index=False)
        return SimpleNamespace(n_failed=0, n_ok=len(table), n_tasks=len(table), n_reused=0)

    monkeypatch.setattr(pipeline, "run_analysis", fake_run)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,condition\n", encoding="utf-8")
    main(["validate", str(manifest), "--out", str(tmp_path / "cli"), "--n-boot", "200", "--seed", "1",
          "--design", "acute_equal_total"])
    assert "CIT-NMDA-1" in capsys.readouterr().out
    res = validate(manifest, tmp_path / "api", design="acute_equal_total", seed=1, n_boot=200, progress=False)
    assert res["report"] == tmp_path / "api" / "report.html"
    for name in FILES:
        cli, api = (tmp_path / d / name for d in ("cli", "api"))
        assert cli.read_bytes() == api.read_bytes(), name
    figures = [sorted(p.name for p in (tmp_path / d / "claims").glob("*.png")) for d in ("cli", "api")]
    assert figures[0] and figures[0] == figures[1]
