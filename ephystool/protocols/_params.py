"""``analysis_params`` of each analyzer: the names and dimensions the analyzers read.

Values are quantity strings (``"50 ms"``) or plain numbers for dimensionless settings. Windows
are ``[start, end]`` pairs; what they are relative to is stated in each field's description.
Optional parameters left out of a template are omitted from
:meth:`Protocol.params_mapping` so that the analyzer's own default applies.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ephystool.protocols._quantity import (
    Current,
    Duration,
    Frequency,
    FrequencyBand,
    PositiveDuration,
    StrictModel,
    Voltage,
    VoltageRate,
    Window,
    field_error,
    magnitude_in,
    qty,
)

__all__ = [
    "NmdaParams",
    "NmdaIvParams",
    "NmdaTonicParams",
    "FiringMeaParams",
    "FiringCcParams",
    "LtpParams",
    "EventsParams",
    "PARAMS_BY_ANALYSIS",
]

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
PositiveNumber = Annotated[float, Field(gt=0.0)]


class NmdaParams(StrictModel):
    """Evoked AMPA/NMDA EPSCs in voltage clamp (analysis ``nmda``)."""

    stim_time: Duration = Field(description="stimulus time from the start of each sweep")
    stim_match: PositiveDuration | None = Field(
        None, description="stim_time is used only this close to a detected artefact (default 1 ms)")
    min_epsc: qty("current", "pos") | None = Field(
        None, description="an evoked EPSC must stand out by this much, else the pulse is a failure (default 5 pA)")
    baseline_window: Window = Field(description="baseline, relative to the stimulus")
    artifact_blank: Duration = Field(description="samples blanked after the stimulus artifact")
    ampa_window: Window = Field(description="AMPA peak search at the AMPA holding, relative to the stimulus")
    nmda_late_window: Window = Field(description="NMDA 'late' mean at the NMDA holding, relative to the stimulus")
    nmda_peak_window: Window = Field(description="NMDA peak search, relative to the stimulus")
    charge_window: Window = Field(description="NMDA charge integration, relative to the stimulus")
    decay_fit_window: Window = Field(description="decay fit, relative to the NMDA peak")
    holding_potentials: list[Voltage] = Field(min_length=1, description="holding levels recorded")
    ampa_holding: Voltage = Field(description="holding level of the AMPA measurement")
    nmda_holding: Voltage = Field(description="holding level of the NMDA measurement")
    isolated_nmda: bool = Field(description="true when AMPA receptors are blocked (NBQX in the bath)")
    outlier_mad: PositiveNumber = Field(description="sweeps further than this many MADs are excluded")
    rs_change_limit: Fraction = Field(description="largest allowed relative change of series resistance")
    test_pulse_window: Window | None = Field(None, description="seal test pulse, from the sweep start")
    test_pulse_amplitude: Voltage | None = Field(
        None, description="size of the test pulse in test_pulse_window (used only where the file has no epochs)")
    access_resistance_max: qty("resistance", "pos") | None = Field(
        None, description="largest access resistance (default 25 MOhm, the template's inclusion criterion)")
    mg_mM: Annotated[float, Field(ge=0.0)] | None = Field(
        None, description="free bath Mg in mM; left out: computed from the bath composition"
    )


class NmdaIvParams(NmdaParams):
    """Isolated NMDA EPSC current-voltage relation and Woodhull (Jahr-Stevens) fit (``nmda_iv``)."""

    iv_holding_potentials: list[Voltage] = Field(min_length=3, description="holding levels of the I-V")
    fit_model: Literal["woodhull"] = Field(description="Mg block model: Woodhull (Jahr-Stevens form)")
    kd0_init: qty("concentration", "pos") = Field(description="initial Kd(0 mV) of the Mg block")
    delta_init: Annotated[float, Field(gt=0.0, le=1.0)] = Field(description="initial electrical distance")
    erev_init: Voltage = Field(description="initial reversal potential")
    temperature_C: float | None = Field(None, description="bath temperature in degC for delta (default 22)")
    iv_measure: Literal["template", "window"] | None = Field(
        None, description="I-V point: whole-trace template fit (default) or window mean at the common peak latency")
    iv_window: PositiveDuration | None = Field(None, description="width of the I-V latency window (default 10 ms)")


class NmdaTonicParams(StrictModel):
    """Tonic (holding-current) NMDA current on bath application (``nmda_tonic``)."""

    baseline_window: Window = Field(description="baseline holding current, from the recording start")
    washin_time: Duration = Field(description="salt wash-in time, from the recording start")
    equilibration: Duration = Field(description="time allowed for the bath to exchange after wash-in")
    treatment_window: Window = Field(description="treatment holding current, relative to wash-in")
    noise_band: FrequencyBand = Field(description="band of the current-noise (variance) measure")
    mode: Literal["auto", "washin", "application"] | None = Field(
        None, description="washin: holding-current time course; application: agonist puffs per sweep"
    )
    application_baseline_window: Window | None = Field(None, description="application mode, from the sweep start")
    application_window: Window | None = Field(None, description="application mode: peak search")
    steady_state_window: Window | None = Field(None, description="application mode: steady state")
    application_charge_window: Window | None = Field(None, description="application mode: charge")
    min_response: qty("current", "nonneg") | None = Field(None, description="application mode: min peak")
    response_snr: PositiveNumber | None = Field(None, description="application mode: min peak / baseline SD")


class FiringMeaParams(StrictModel):
    """Spike detection, bursts and synchrony on multi-electrode arrays (``firing_mea``)."""

    band: FrequencyBand = Field(description="band-pass for spike detection")
    filter_order: Annotated[int, Field(ge=1, le=8)] = Field(description="Butterworth order (zero-phase)")
    threshold_sd: PositiveNumber = Field(description="threshold in robust SDs (MAD/0.6745) of the noise")
    polarity: Literal["negative", "positive", "both"] = Field(description="spike polarity")
    dead_time: Duration = Field(description="refractory period between detected spikes")
    chunk: PositiveDuration = Field(description="length of the chunks read from the file")
    margin: Duration = Field(description="filter margin on each side of a chunk")
    artifact_fraction: Fraction = Field(description="events on more than this fraction of electrodes ...")
    artifact_window: Duration = Field(description="... within this window are removed as artifacts")
    active_min_spikes_per_min: Annotated[float, Field(ge=0.0)] = Field(
        description="an electrode is active with at least this many spikes per minute"
    )
    burst_max_isi_start: PositiveDuration = Field(description="max ISI to start a burst")
    burst_max_isi_end: PositiveDuration = Field(description="max ISI to continue a burst")
    burst_min_ibi: Duration = Field(description="bursts closer than this are merged")
    burst_min_spikes: Annotated[int, Field(ge=2)] = Field(description="min spikes per burst")
    burst_min_duration: Duration = Field(description="min burst duration")
    network_burst_fraction: Fraction = Field(description="fraction of active electrodes bursting together")
    network_burst_window: PositiveDuration = Field(description="coincidence window of a network burst")
    sttc_dt: PositiveDuration = Field(description="STTC coincidence window")
    phase: Literal["zero", "causal"] | None = Field(None, description="filter phase (default zero-phase)")
    stim_blanking: Duration | None = Field(None, description="blanked after each stimulus (default 2 ms)")
    electrodes_per_well: Annotated[int, Field(ge=1)] | None = Field(
        None, description="electrodes of a well (e.g. 16 on a 48-well Axion plate): silent electrodes a spike "
                          "list omits count as 0 Hz in mean_firing_rate")
    dosing_time: Duration | None = Field(None, description="dosing time from the recording start")
    baseline_window: Window | None = Field(
        None, description="relative to dosing_time; without dosing_time the whole file is analysed"
    )
    treatment_window: Window | None = Field(
        None, description="relative to dosing_time; without dosing_time the whole file is analysed"
    )

    @model_validator(mode="after")
    def _isi_order(self) -> FiringMeaParams:
        if magnitude_in(self.burst_max_isi_end, "s") < magnitude_in(self.burst_max_isi_start, "s"):
            raise field_error("burst_max_isi_end", "must not be shorter than burst_max_isi_start")
        return self


class FiringCcParams(StrictModel):
    """Action potentials in current-clamp step protocols, f-I curves (``firing_cc``)."""

    dvdt_threshold: VoltageRate = Field(description="dV/dt that marks an action potential onset")
    dvdt_sustain: Duration | None = Field(None, description="dV/dt above threshold at least this long (and 3 samples)")
    min_peak: Voltage | None = Field(None, description="optional absolute peak level (off: low-overshoot APs count)")
    min_ap_width: Duration | None = Field(None, description="min full width at half height (glitches are narrower)")
    max_repolarisation: Duration | None = Field(
        None, description="the AP falls back below half height within this (RC charging does not)")
    refractory: Duration = Field(description="min interval between action potentials")
    step_window: Window | None = Field(None, description="current step, from the sweep start; default: epochs")
    onset_skip: Duration = Field(description="ignored after the step onset (capacitive transient)")
    min_ap_amplitude: qty("voltage", "nonneg") = Field(description="min threshold-to-peak amplitude")
    smooth: Frequency | None = Field(None, description="low-pass before dV/dt (default none)")
    feature_lowpass: Frequency | None = Field(
        None, description="low-pass of dV/dt for AP threshold (default 5 kHz; ignored at or above Nyquist)")
    step_first: Current | None = Field(None, description="first step current when the file has no epochs")
    step_increment: Current | None = Field(None, description="step increment when the file has no epochs")
    step_currents: list[Current] | None = Field(None, description="every step current, when irregular")


class LtpParams(StrictModel):
    """fEPSP slope long-term potentiation, fibre volley and paired pulses (``ltp``)."""

    slope_fraction: tuple[Fraction, Fraction] = Field(description="fractions of the rising phase for the slope")
    slope_method: Literal["fraction", "fixed_window"] = Field(description="how the initial slope is measured")
    polarity: Literal["negative", "positive"] = Field(
        "negative", description="direction of the fEPSP: negative-going (dendritic layer, the usual) or positive-going "
        "(cell-body layer, an inverting amplifier)")
    baseline_window: Window = Field(description="baseline, relative to induction")
    post_window: Window = Field(description="LTP window, relative to induction")
    stp_window: Window = Field(description="short-term potentiation window, relative to induction")
    drift_limit: Fraction = Field(description="largest allowed baseline drift (fraction of the mean)")
    outlier_mad: PositiveNumber = Field(description="sweeps further than this many MADs are excluded")
    fibre_volley_window: Window = Field(description="fibre volley search, relative to the stimulus")
    fepsp_window: Window = Field(description="fEPSP search, relative to the stimulus")
    artifact_blank: Duration = Field(description="blanked after the stimulus artifact")
    ppi: PositiveDuration | None = Field(None, description="paired-pulse interval")
    stim_time: Duration = Field(description="first stimulus from the start of each sweep")
    sweep_interval: PositiveDuration = Field(description="time between sweeps")
    induction_time: Duration | None = Field(None, description="from the first sweep; default: detected")
    induction_duration: Duration | None = Field(
        None, description="length of a long induction (1 Hz LFS: 15 min); windows after it count from its end")
    experiment: Literal["ltp", "ltd", "baseline", "input_output", "train"] | None = Field(
        None, description="ltp (default) / ltd (an induction, windows relative to it), baseline (stability run, no "
        "induction), input_output (stimulus intensities vary), train (several stimuli per sweep)")
    stim_intensities: list[str] | None = Field(
        None, description="input-output: one stimulus intensity per sweep, or per equal block of sweeps ('50 uA')")
    train_pulses: Annotated[int, Field(ge=1)] | None = Field(None, description="stimuli per sweep in a train")
    train_interval: PositiveDuration | None = Field(None, description="interval between the stimuli of a train")
    signal_unit: Literal["mV", "uV", "V"] | None = Field(
        None, description="unit of a field channel the file labels with no or a wrong unit (e.g. pA)")

    @model_validator(mode="after")
    def _fractions(self) -> LtpParams:
        lo, hi = self.slope_fraction
        if not lo < hi:
            raise field_error("slope_fraction", f"the lower fraction must be below the upper, got [{lo}, {hi}]")
        return self


class EventsParams(StrictModel):
    """Spontaneous / miniature synaptic events: detection, kinetics, frequency (``events``)."""

    method: Literal["template", "deconvolution"] | None = Field(
        None, description="template: Clements-Bekkers optimal scaling (default); deconvolution: Pernia-Andrade 2012")
    polarity: Literal["negative", "positive"] | None = Field(None, description="event direction (default negative, inward)")
    template_rise: PositiveDuration | None = Field(None, description="template rise time constant (default 0.5 ms)")
    template_decay: PositiveDuration | None = Field(None, description="template decay time constant (default 4 ms)")
    template_baseline: Duration | None = Field(None, description="baseline before the onset in the template (4 ms)")
    threshold: PositiveNumber | None = Field(None, description="detection threshold in noise SDs of the detection trace")
    min_amplitude: qty("current", "nonneg") | qty("voltage", "nonneg") | None = Field(
        None, description="smallest counted amplitude (pA, or mV in current clamp)")
    min_amplitude_sd: Annotated[float, Field(ge=0.0)] | None = Field(
        None, description="smallest counted amplitude in trace-noise SDs (0: off)")
    min_interval: Duration | None = Field(None, description="onsets closer than this are one event (1 ms)")
    local_baseline: PositiveDuration | None = Field(None, description="baseline window before each onset (2 ms)")
    peak_smoothing: Duration | None = Field(None, description="boxcar width for the peak (1 ms)")
    deconvolution_band: FrequencyBand | None = Field(None, description="band of the deconvolved trace (1-300 Hz)")
    decay_fit: Literal["average", "event"] | None = Field(
        None, description="event_decay_tau from the average event (default) or the median of per-event fits")
    analysis_window: Window | None = Field(None, description="analysed part of each sweep, from the sweep start")
    exclude_windows: list[Window] | None = Field(None, description="left out, from the recording start (drug wash)")
    artifact_blank: Duration | None = Field(None, description="left out after each recorded stimulus (5 ms)")
    mask_settle: Duration | None = Field(None, description="left out after each command-step edge (100 ms)")


#: analysis name -> its parameter model.
PARAMS_BY_ANALYSIS: dict[str, type[StrictModel]] = {
    "nmda": NmdaParams,
    "nmda_iv": NmdaIvParams,
    "nmda_tonic": NmdaTonicParams,
    "firing_mea": FiringMeaParams,
    "firing_cc": FiringCcParams,
    "ltp": LtpParams,
    "events": EventsParams,
}
