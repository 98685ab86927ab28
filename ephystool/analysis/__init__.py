"""Analyzers: pure functions over :class:`~ephystool.io.recording.Recording` returning typed results.

Each module ``<name>.py`` exposes ``<Name>Params`` (frozen dataclass with quantities and a
``from_protocol(analysis_params, overrides)`` constructor), ``<Name>Result`` (with ``rows()``,
``sweep_rows()`` and, for MEA, ``electrode_rows()`` producing tidy dicts) and
``analyze(recording, params) -> <Name>Result``. :mod:`ephystool.analysis.registry` maps the
analysis names used in protocol templates to these modules.
"""
