"""Parameters of the NMDA I-V analysis (template ``nmda_iv``, analysis ``nmda_iv``); re-exported by its analyzer.
A module of its own so that the protocol schema reads them without importing the analyzers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import quantities as pq

from ephystool.analysis import params as _p
from ephystool.analysis.nmda.params import NmdaParams
from ephystool.analysis.nmda_iv._points import IV_METHODS
from ephystool.analysis.params import param
from ephystool.errors import ProtocolError

__all__ = ["NmdaIvParams"]


@dataclass(frozen=True)
class NmdaIvParams:
    """Settings: the EPSC windows (:class:`~ephystool.analysis.nmda.NmdaParams`, whose template keys an
    ``nmda_iv`` template also takes), the bath free Mg2+ and the fit's starting values and temperature;
    ``iv_measure`` and ``iv_window`` say how each I-V point is measured."""

    #: an nmda_iv template also holds every key of this class (the EPSC windows)
    TEMPLATE_BASE: ClassVar[type] = NmdaParams

    epsc: NmdaParams
    mg_mM: pq.Quantity
    iv_holding_potentials: pq.Quantity | None = param(
        None, kind="quantities", unit="mV", min_length=3, template="required", description="holding levels of the I-V")
    fit_model: str = param("woodhull", kind="choice", choices=("woodhull",), template="required",
                           description="Mg block model: Woodhull (Jahr-Stevens form)")
    kd0_init: pq.Quantity = param(lambda: 3.57 * pq.mM, kind="quantity", unit="mM", sign="pos", factory=True,
                                  template="required", description="initial Kd(0 mV) of the Mg block")
    delta_init: float = param(0.8, kind="number", gt=0.0, le=1.0, template="required",
                              description="initial electrical distance")
    erev_init: pq.Quantity = param(lambda: 0.0 * pq.mV, kind="quantity", unit="mV", factory=True,
                                   template="required", description="initial reversal potential")
    temperature_C: float = param(22.0, kind="number", description="bath temperature in degC for delta")
    iv_measure: str = param("template", kind="choice", choices=IV_METHODS,
                            description="I-V point: whole-trace template fit or window mean at the common peak latency")
    iv_window: pq.Quantity = param(lambda: 10.0 * pq.ms, kind="quantity", unit="ms", sign="pos", factory=True,
                                   description="width of the I-V latency window")

    @classmethod
    def from_protocol(cls, analysis_params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> NmdaIvParams:
        """Build from the template (keys of ``nmda`` plus ``iv_holding_potentials``, ``kd0_init``,
        ``delta_init``, ``erev_init``, ``temperature_C``, ``mg_mM``) and manifest overrides (``mg_mM``/``salt_mM``).
        The EPSC is isolated (``isolated_nmda`` true) unless the template says otherwise.

        Raises
        ------
        ProtocolError
            On a malformed value, or when no free [Mg2+] is given (the fit needs it).
        """
        p = dict(analysis_params)
        p.setdefault("isolated_nmda", True)
        if "iv_holding_potentials" in p:
            p["holding_potentials"] = p["iv_holding_potentials"]
        epsc = NmdaParams.from_protocol(p, overrides or {})
        if epsc.mg_mM is None:
            raise ProtocolError("the Woodhull fit needs the bath's free Mg2+: set mg_mM in the protocol or the "
                                "manifest (mg_mM or salt_mM column)", field="analysis_params.mg_mM")
        return _p.from_protocol(cls, p, overrides, epsc=epsc, mg_mM=epsc.mg_mM)
