"""Protocol templates: what the experimenter records and how the analyzers read it.

Templates are YAML files (top-level ``protocols/`` in a checkout, ``ephystool/_protocols`` in an
installed wheel, or any folder listed in ``$EPHYSTOOL_PROTOCOLS``) validated by pydantic models:
unknown keys are errors with a "did you mean" hint, every quantity is a string with a unit whose
dimension is checked, and errors are one line naming the file and the field path.

Examples
--------
>>> from ephystool.protocols import load_protocol
>>> p = load_protocol("ltp_fepsp")
>>> p.analysis
'ltp'
>>> p.with_overrides({"stim_time_ms": 20}).param("stim_time", "ms")
array(20.) * ms
"""

from __future__ import annotations

from ephystool.protocols._check import check_recording
from ephystool.protocols._loading import (
    ENV_VAR,
    SCHEMA_PATH,
    export_json_schema,
    find_protocol,
    list_protocols,
    load_protocol,
    protocol_dirs,
    read_yaml,
    write_json_schema,
)
from ephystool.protocols._models import ANALYSES, PROTOCOLS, Protocol, validate_protocol
from ephystool.protocols._params import PARAMS_BY_ANALYSIS
from ephystool.protocols._sections import CORE_CONDITIONS, CRITERIA, DESIGNS, MODES

__all__ = [
    "ANALYSES",
    "CORE_CONDITIONS",
    "CRITERIA",
    "DESIGNS",
    "ENV_VAR",
    "MODES",
    "PARAMS_BY_ANALYSIS",
    "PROTOCOLS",
    "SCHEMA_PATH",
    "Protocol",
    "check_recording",
    "export_json_schema",
    "find_protocol",
    "list_protocols",
    "load_protocol",
    "protocol_dirs",
    "read_yaml",
    "validate_protocol",
    "write_json_schema",
]
