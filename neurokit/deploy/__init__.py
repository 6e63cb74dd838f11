"""Using trained runs outside `neurokit train`: load, predict, embed, export.

`load_trained(RUN)` gives a `TrainedModel` (eval mode, the run's channels, rate,
window, preprocessing and classes); `prepare_input` turns a raw mne recording into
that model's channel order and preprocessing.
"""

from neurokit.deploy.inputs import prepare_input
from neurokit.deploy.trained import TrainedModel, load_trained

__all__ = ["TrainedModel", "load_trained", "prepare_input"]
