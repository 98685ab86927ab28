"""``ephystool info PATH``: describe a recording."""

from __future__ import annotations

import json

import click


def _text(s: dict) -> str:
    lines = [
        f"{s['path']}",
        f"  format {s['format']}, {s['kind']}, {s['n_sweeps']} sweep(s), {s['duration_s']:.3f} s, "
        f"{s['sampling_rate_hz']:g} Hz, sha256 {s['sha256'][:12]}",
        "  channels: " + ", ".join(f"{c['name']} [{c['units']}]" + (" *" if c['name'] == s['primary_channel'] else "")
                                   for c in s["channels"][:16]) + (" ..." if len(s["channels"]) > 16 else ""),
    ]
    if s["holding"] and any(h is not None for h in s["holding"]):
        uniq = sorted({h for h in s["holding"] if h is not None})
        lines.append("  holding: " + ", ".join(uniq[:8]))
    if s["n_sweeps"] > 1:
        t = s["sweep_start_times_s"]
        span = float(t[-1]) - float(t[0]) + s["duration_s"] / s["n_sweeps"] if len(t) else float("nan")
        lines.append(f"  sweep starts: {', '.join(f'{x:g}' for x in t[:5])}{' ...' if len(t) > 5 else ''} s; "
                     f"span {span:.1f} s (sweeps total {s['duration_s']:.1f} s)")
    for tag in s["tags"]:
        lines.append(f"  tag: '{tag['text']}' at {tag['time_s']:.2f} s (sweep {tag['sweep']})")
    if s["electrodes"]:
        lines.append(f"  electrodes: {len(s['electrodes'])} ({', '.join(e['label'] for e in s['electrodes'][:8])} ...)")
    if s["n_spiketrains"]:
        lines.append(f"  spike trains: {s['n_spiketrains']}")
    for k, v in s["metadata"].items():
        if v not in ("", None) and not k.endswith("sweep_start_times_s"):  # one set of sweep times (above)
            lines.append(f"  {k}: {v}")
    lines += [f"  warning: {w}" for w in s["warnings"]]
    return "\n".join(lines)


@click.command(name="info")
@click.argument("path", type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--stream", type=int, default=None, help="Stream index (Multi Channel Systems files).")
@click.option("--kind", type=click.Choice(["voltage_clamp", "current_clamp", "field", "mea"]), default=None,
              help="Override the detected recording kind.")
def command(path: str, as_json: bool, stream: int | None, kind: str | None) -> None:
    """Describe the recording at PATH: format, kind, channels, sweeps, holding, tags, electrodes."""
    from ephystool.io import load

    opts = {} if stream is None else {"stream": stream}
    summary = load(path, kind=kind, **opts).summary()
    click.echo(json.dumps(summary, indent=2, default=str) if as_json else _text(summary))
