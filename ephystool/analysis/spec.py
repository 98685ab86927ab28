"""What an analysis is, for the registry: :class:`AnalysisSpec` and its metric catalogue (:class:`Metric`).

Each analysis package (``ephystool.analysis.<name>``) exports one ``SPEC``; :mod:`ephystool.analysis.registry`
lists them in one tuple from which the protocol schema, ``protocol list``, figure dispatch, the ``analysis``
value of results.csv and the metric units derive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ephystool.errors import AnalysisError

__all__ = ["AnalysisSpec", "Metric", "TABLES", "catalogue"]

#: The tidy tables a metric can appear in.
TABLES = ("results", "sweeps", "electrodes")


@dataclass(frozen=True)
class Metric:
    """One metric of the catalogue.

    An analysis writes its catalogue as a text table (:func:`catalogue`), one metric a line.

    Attributes
    ----------
    name : str
        The ``metric`` value in the tables.
    unit : str
        The ``unit`` value in the tables ("1": dimensionless); a ``window: ratio`` row is dimensionless.
    description : str
        What it measures (shown in the docs and the report).
    log_scale : bool
        Compared on a log scale (rates, ratios, time constants: positive and multiplicative).
    tables : tuple of str
        The tables it appears in (:data:`TABLES`).
    """

    name: str
    unit: str
    description: str
    log_scale: bool = False
    tables: tuple[str, ...] = ("results",)


@dataclass(frozen=True)
class AnalysisSpec:
    """One analysis: its ``analysis:`` name, its one Params class, the analyzer, its figures and metrics.

    Attributes
    ----------
    name : str
        The protocol template's ``analysis`` value.
    params : type
        The Params dataclass (defaults, units, bounds; :func:`ephystool.analysis.params.from_protocol`).
    analyze : callable
        ``analyze(recording, params) -> Result`` (pure: reads no file).
    figures : callable or None
        ``figures(result, recording, out_dir) -> list[Path]`` (matplotlib imported inside).
    metrics : tuple of Metric
        The catalogue of what the Result's ``rows()``/``sweep_rows()``/``electrode_rows()`` emit.
    output_name : str
        The ``analysis`` value written to results.csv (the NMDA family shares ``nmda``).
    analyze_session : callable or None
        ``analyze_session(recordings, params)`` for analyses that take several files per manifest row.
    batch_figures : callable or None
        ``batch_figures(outputs, out_dir) -> list[Path]``: figures across the batch's recordings (e.g. per
        condition), from the written tables (``outputs``: table name -> path, as the pipeline writes them);
        display only, drawn after the tables.
    """

    name: str
    params: type
    analyze: Callable[..., Any]
    figures: Callable[..., list[Any]] | None
    metrics: tuple[Metric, ...]
    output_name: str = ""
    analyze_session: Callable[..., Any] | None = None
    batch_figures: Callable[..., list[Any]] | None = None

    def __post_init__(self) -> None:
        if not self.output_name:
            object.__setattr__(self, "output_name", self.name)

    def metric(self, name: str) -> Metric:
        """The catalogue entry of ``name``.

        Raises
        ------
        AnalysisError
            ``name`` is not in this analysis' catalogue.
        """
        for m in self.metrics:
            if m.name == name:
                return m
        raise AnalysisError(f"analysis '{self.name}' has no metric '{name}' in its catalogue")

    def units(self, table: str = "results") -> dict[str, str]:
        """Metric name -> unit of the metrics in ``table``, in catalogue order."""
        return {m.name: m.unit for m in self.metrics if table in m.tables}


def catalogue(text: str) -> tuple[Metric, ...]:
    """Metrics from a table, one per line: ``name | unit | tables | log or - | description``.

    ``tables`` is a comma-separated subset of :data:`TABLES`; blank lines are skipped.

    Raises
    ------
    ValueError
        A line without five fields, or an unknown table (a programming error in a catalogue).

    Examples
    --------
    >>> catalogue("rate | Hz | results | log | spikes per second")[0]
    Metric(name='rate', unit='Hz', description='spikes per second', log_scale=True, tables=('results',))
    """
    out = []
    for line in text.strip().splitlines():
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split("|", 4)]
        if len(fields) != 5 or fields[3] not in ("log", "-"):
            raise ValueError(f"catalogue line needs 'name | unit | tables | log or - | description': {line!r}")
        tables = tuple(t.strip() for t in fields[2].split(","))
        if not set(tables) <= set(TABLES):
            raise ValueError(f"unknown table in {line!r}; known: {', '.join(TABLES)}")
        out.append(Metric(fields[0], fields[1], fields[4], fields[3] == "log", tables))
    return tuple(out)
