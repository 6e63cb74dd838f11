"""What `neurokit stream` delegates to: an LSL stream through a trained run, printed and republished."""

from __future__ import annotations

import json
import sys
import time

from neurokit import console as out


def _line(prediction, classes: list[str], latency_ms: float) -> str:
    probs = " ".join(f"{c}={p:.3f}" for c, p in zip(classes, prediction.probabilities, strict=True))
    return (
        f"{prediction.index:>5}  {f'{prediction.start:.2f}-{prediction.end:.2f} s':>18}  "
        f"{prediction.label:<12} {probs}  ({latency_ms:.1f} ms)"
    )


def run_stream(
    run_dir: str,
    lsl_name: str,
    hop: float,
    outlet_name: str | None,
    duration: float | None,
    timeout: float,
    scale: float | None,
    as_json: bool,
) -> None:
    """Predict every `hop` seconds on the LSL stream `lsl_name`; push to an outlet and print."""
    from neurokit.deploy.lsl import LslSource, PredictionOutlet
    from neurokit.deploy.stream import StreamPredictor
    from neurokit.deploy.trained import load_trained

    model = load_trained(run_dir)
    source = LslSource(lsl_name, timeout=timeout, scale=scale)
    try:
        predictor = StreamPredictor(model, source.channel_names, source.sfreq, hop, source.scale)
        predictor.warm_up()
        outlet_name = outlet_name or f"{lsl_name}-predictions"
        outlet = PredictionOutlet(outlet_name, model.classes)
        classes = list(model.classes)
        if not as_json:
            dropped = ", ".join(predictor.dropped_channels) or "none"
            out.console.print(
                f"streaming {lsl_name!r} ({len(source.channel_names)} channels, "
                f"{source.sfreq:g} Hz, x{source.scale:g} to uV) through {run_dir} "
                f"({len(model.channels)} channels, {model.sfreq:g} Hz, "
                f"{model.window_samples / model.sfreq:g} s window, {hop:g} s hop); "
                f"dropped: {dropped}; predictions -> LSL outlet {outlet_name!r}",
                highlight=False,
                soft_wrap=True,
            )
        count = 0
        try:
            for chunk, stamp in source.chunks(duration):
                began = time.perf_counter()
                for prediction in predictor.push(chunk, stamp):
                    outlet.push(prediction.probabilities, stamp)
                    latency = (time.perf_counter() - began) * 1e3
                    count += 1
                    if as_json:
                        row = {**prediction.as_dict(classes), "latency_ms": round(latency, 2)}
                        sys.stdout.write(json.dumps(row) + "\n")
                        sys.stdout.flush()
                    else:
                        out.console.print(_line(prediction, classes, latency), highlight=False)
        except KeyboardInterrupt:
            pass
        if not as_json:
            out.console.print(f"{count} predictions", highlight=False)
    finally:
        source.close()
