"""The data model every layer shares: io builds it, analysis and pipeline read it.

:mod:`ephystool.core.recording` (the :class:`~ephystool.core.recording.Recording` and its parts) and
:mod:`ephystool.core.vocabulary` (conditions, designs, canonical units). ``core`` imports nothing from the
rest of the package except :mod:`ephystool.errors` and reads no file, so io may depend on it without
reaching upward (``tests/test_import_layers.py``). Nothing is imported here, so ``core.vocabulary`` stays
light (no numpy, no quantities).
"""
