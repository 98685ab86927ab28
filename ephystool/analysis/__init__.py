"""Analyzers: pure functions over :class:`~ephystool.io.recording.Recording` returning typed results.

Each analysis is a package ``ephystool.analysis.<name>`` exporting ``SPEC``
(:class:`~ephystool.analysis.spec.AnalysisSpec`): its one Params class (fields made with
:func:`ephystool.analysis.params.param`, built by the one converter ``from_protocol(analysis_params,
overrides)``), ``analyze(recording, params) -> Result`` (``rows()``, ``sweep_rows()`` and, for MEA,
``electrode_rows()`` produce tidy dicts), its figures and its metric catalogue.
:data:`ephystool.analysis.registry.ANALYSES` lists them; everything else derives from that tuple.
"""
