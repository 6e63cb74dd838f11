"""The shared contract every registered component is held to, parametrised over the registry.

A new plugin's components are checked here without writing a test: install it and
run `pytest tests/contract`. Large presets (`*-large`, `*-huge`) are built only
with `-m slow`.
"""

from __future__ import annotations

import json

import pytest

import neurokit
from neurokit.core import catalog
from neurokit.core.interfaces import (
    NAME_PATTERN,
    Backbone,
    BackboneOutput,
    Dataset,
    Family,
    Kind,
)
from neurokit.core.registry import get_registry

HEAVY = ("-large", "-huge", "-xl")
# official-size MEG forecasters: minutes of CPU on a 19-channel x 800-step EEG batch
HEAVY_NAMES = ("gpt2meg", "stgpt2meg")
STANDARD_CHANNELS = ["FP1", "FP2", "F7", "F3", "FZ", "F4", "F8", "T3", "C3", "CZ", "C4", "T4",
                     "T5", "P3", "PZ", "P4", "T6", "O1", "O2"]  # fmt: skip


def components(kind: Kind | None = None) -> list:
    params = []
    for component in get_registry().components(kind):
        heavy = component.name.endswith(HEAVY) or (
            component.kind is Kind.BACKBONE and component.name in HEAVY_NAMES
        )
        marks = [pytest.mark.slow] if heavy else []
        params.append(
            pytest.param(component, id=f"{component.kind.value}:{component.name}", marks=marks)
        )
    return params


def eeg_batch(batch_size: int = 2, seconds: float = 4.0, sfreq: float = 200.0):
    """A plausible store batch: standard 10-20 names and positions, the second sample one channel short."""
    import torch

    from tests.helpers import make_batch

    batch = make_batch(
        [STANDARD_CHANNELS, STANDARD_CHANNELS[:-1]][:batch_size], seconds, sfreq, amplitude=20.0
    )
    batch.label = torch.tensor([0, 1])[:batch_size]
    return batch


@pytest.mark.parametrize("component", components())
def test_metadata(component):
    assert NAME_PATTERN.match(component.name)
    assert component.description, f"{component.name} needs a one-line description"
    assert component.plugin in get_registry().plugins
    for field in catalog.config_fields(component):
        assert field["description"], (
            f"{component.kind.value} {component.name}: option {field['name']} has no description"
        )
    json.dumps(catalog.component_info(component), default=str)


@pytest.mark.parametrize("component", components())
def test_default_config_validates(component):
    required = [name for name, f in component.config_class.model_fields.items() if f.is_required()]
    assert not required, f"{component.name}: every option needs a default ({required})"
    component.config()


@pytest.mark.parametrize("component", components(Kind.BACKBONE))
def test_backbone_runs_a_batch_and_resets_its_head(component):
    import torch

    model = component.create(num_classes=3)
    assert isinstance(model, torch.nn.Module) and isinstance(model, Backbone)
    model.eval()
    with torch.no_grad():
        out = model.forward_batch(batch_for(model))
    assert isinstance(out, BackboneOutput)
    assert out.pooled.shape == (2, model.num_features) and torch.isfinite(out.pooled).all()
    model.reset_classifier(5)
    with torch.no_grad():
        assert model.forward_batch(batch_for(model)).extras["logits"].shape == (2, 5)


def batch_for(model):
    """`eeg_batch`, or for a fixed-input model (one declaring `seq_len`, `sfreq` and
    `n_channels`, e.g. Du-IN) a batch of exactly its window, rate and at most its channels."""
    if not all(hasattr(model, a) for a in ("seq_len", "sfreq", "n_channels")):
        return eeg_batch()
    from tests.helpers import make_batch

    names = STANDARD_CHANNELS[: model.n_channels]
    return make_batch([names, names[:-1]], model.seq_len / model.sfreq, model.sfreq)


@pytest.mark.parametrize("component", components(Kind.MODEL))
def test_family_declares_registered_components_and_valid_recipes(component):
    from neurokit.core.data.preprocess import Preprocessing
    from neurokit.core.engine.resolve import RunSpec, resolve

    family = component.create()
    assert isinstance(family, Family) and family.name == component.name
    registry = get_registry()
    for backbone in family.backbones:
        registry.get(Kind.BACKBONE, backbone)
    for tokenizer in family.tokenizers:
        registry.get(Kind.TOKENIZER, tokenizer)
    for values in family.profiles.values():
        Preprocessing(**values)
    for spec in family.stages:
        resolved = resolve(RunSpec(model=family.name, stage=spec.name))  # recipes validate
        assert resolved.config.stage == spec.name and resolved.task.accepts_backbone(
            family.backbone
        )


@pytest.mark.parametrize("component", components(Kind.DATASET))
def test_dataset_implements_the_protocol(component):
    dataset = component.create()
    assert isinstance(dataset, Dataset)
    assert len(dataset.class_names) == len(set(dataset.class_names))


@pytest.mark.parametrize("component", components(Kind.TOKENIZER))
def test_tokenizer_implements_the_protocol(component):
    from neurokit.core.interfaces import Tokenizer

    tokenizer = component.create()
    assert isinstance(tokenizer, Tokenizer) and tokenizer.codebook_size > 1


@pytest.mark.parametrize("component", components(Kind.TASK))
def test_task_implements_the_protocol(component):
    from neurokit.core.interfaces import Task

    assert isinstance(component.create(), Task)


@pytest.mark.parametrize("component", components(Kind.TRAINER))
def test_trainer_implements_the_protocol(component):
    from neurokit.core.interfaces import Trainer

    assert isinstance(component.create(), Trainer)


def test_create_model_accepts_every_backbone_and_preset_name():
    names = neurokit.list_components("backbone") + neurokit.list_components("model")
    assert "tiny-cnn" in names and "tiny" in names
