"""The contract every registered component is held to (run with `pytest --neurokit-contract`).

Each check is parametrised over the selected plugins' components (see
`neurokit.testing.selection`) and fails with a message that says what to fix.
Presets named `*-large`, `*-huge` or `*-xl` are built only under `-m slow`.
The guide to these contracts is docs/plugins.md in neurokit's repository.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from neurokit.core import catalog
from neurokit.core.components import NAME_PATTERN, ComponentConfig, Kind
from neurokit.core.interfaces import (
    Backbone,
    BackboneOutput,
    Dataset,
    Family,
    Generative,
    RecordingSource,
)
from neurokit.core.registry import get_registry

contract = pytest.mark.neurokit_contract
SPLITS = {"train", "val", "test"}

# ------------------------------------------------------------------------ plugins


@contract()
def test_plugin_loads_and_registers_something(plugin):
    assert plugin.error is None, (
        f"plugin {plugin.name!r} (module {plugin.module}) {plugin.error}. "
        "`neurokit plugins` shows the same error; fix the import or the register_* hook."
    )
    assert plugin.components, (
        f"plugin {plugin.name!r} (module {plugin.module}) registered nothing: its module needs "
        "at least one `@neurokit.hookimpl def register_backbones(register)` (or datasets, "
        "models, tasks, ...) that calls register(name, factory, config=ConfigClass)"
    )


# -------------------------------------------------------------------- every kind


@contract()
def test_metadata(component):
    what = f"{component.kind.value} {component.name!r}"
    assert NAME_PATTERN.match(component.name), (
        f"{what}: names are lower-case letters, digits, dots and dashes"
    )
    assert component.description, (
        f"{what} needs a one-line description: give its factory a docstring or pass "
        "register(..., description='...')"
    )
    for field in catalog.config_fields(component):
        assert field["description"], (
            f"{what}: option {field['name']!r} has no description; declare it as "
            f"`{field['name']}: T = Field(default, description='...')`"
        )
    try:
        json.dumps(catalog.component_info(component), default=str)
    except (TypeError, ValueError) as exc:
        pytest.fail(f"{what}: `neurokit info` cannot show its options as JSON ({exc})")


@contract()
def test_default_config_validates(component):
    what = f"{component.kind.value} {component.name!r}"
    required = [n for n, f in component.config_class.model_fields.items() if f.is_required()]
    assert not required, f"{what}: every option needs a default; these have none: {required}"
    assert issubclass(component.config_class, ComponentConfig)
    component.config()


# ---------------------------------------------------------------------- backbones


def _create_backbone(component, num_classes: int):
    import torch

    what = f"backbone {component.name!r}"
    model = component.create()  # as a run builds it; finetune then sizes the head
    assert isinstance(model, torch.nn.Module), (
        f"{what}: the factory must return a torch.nn.Module, got {type(model).__name__}"
    )
    missing = [
        m for m in ("num_features", "forward_batch", "reset_classifier") if not hasattr(model, m)
    ]
    assert not missing and isinstance(model, Backbone), (
        f"{what}: a backbone has `num_features` (int), `forward_batch(batch) -> BackboneOutput` "
        f"and `reset_classifier(num_classes)`; missing: {', '.join(missing)}"
    )
    if num_classes:
        try:
            model.reset_classifier(num_classes)
        except NotImplementedError as exc:
            if not isinstance(model, Generative):
                pytest.fail(
                    f"{what}: reset_classifier raised NotImplementedError ({exc}); only a "
                    "generative backbone (one with generate()) may go without a classifier"
                )
            pytest.skip(f"{what} is generative and has no classifier head ({exc})")
    return model.eval()


def _forward(model, batch, what: str) -> BackboneOutput:
    out = model.forward_batch(batch)
    assert isinstance(out, BackboneOutput), (
        f"{what}: forward_batch must return neurokit.core.interfaces.BackboneOutput, "
        f"got {type(out).__name__}"
    )
    return out


@contract("backbone")
def test_backbone_runs_a_padded_batch(component):
    import torch

    from neurokit.testing.batches import batch_for

    model = _create_backbone(component, num_classes=0)
    what = f"backbone {component.name!r}"
    batch = batch_for(model)
    with torch.no_grad():
        out = _forward(model, batch, what)
    n = len(batch)
    assert out.pooled.shape == (n, model.num_features), (
        f"{what}: BackboneOutput.pooled must be (batch, num_features) = ({n}, "
        f"{model.num_features}), got {tuple(out.pooled.shape)}"
    )
    assert torch.isfinite(out.pooled).all(), (
        f"{what}: pooled features are not finite on a padded batch (the second sample has a "
        "zero-padded channel; use batch.channel_mask to leave padding out of means and norms)"
    )
    if out.tokens is not None:
        assert out.tokens.ndim == 3 and out.tokens.shape[0] == n, (
            f"{what}: BackboneOutput.tokens must be (batch, tokens, features) or None, got "
            f"{tuple(out.tokens.shape)}"
        )


@contract("backbone")
def test_backbone_ignores_padding(component):
    """A sample's output must not change when it is padded to a wider batch."""
    import torch

    from neurokit.testing.batches import batch_for, make_batch

    model = _create_backbone(component, num_classes=0)
    what = f"backbone {component.name!r}"
    batch = batch_for(model)
    short = batch.channel_names[1]
    alone = make_batch([short], batch.num_samples / batch.sfreq, batch.sfreq, amplitude=20.0)
    alone.signal = batch.signal[1:2, : len(short)].clone()
    with torch.no_grad():
        padded = _forward(model, batch, what).pooled[1]
        unpadded = _forward(model, alone, what).pooled[0]
    assert torch.allclose(padded, unpadded, rtol=1e-3, atol=1e-4), (
        f"{what}: a sample with {len(short)} channels gives different features alone and padded "
        f"to {batch.num_channels} channels (max difference "
        f"{(padded - unpadded).abs().max().item():.3g}). Padded channels are zeros with "
        "batch.channel_mask False: mask them out (attention masks, masked means)"
    )


@contract("backbone")
def test_backbone_head_resets_and_learns(component):
    import torch

    from neurokit.testing.batches import batch_for

    model = _create_backbone(component, num_classes=3)
    what = f"backbone {component.name!r}"
    model.reset_classifier(5)
    batch = batch_for(model)
    model.train()
    logits = _forward(model, batch, what).extras.get("logits")
    assert logits is not None and logits.shape == (len(batch), 5), (
        f"{what}: after reset_classifier(5), extras['logits'] must be ({len(batch)}, 5), got "
        f"{None if logits is None else tuple(logits.shape)}; rebuild the head there"
    )
    torch.nn.functional.cross_entropy(logits.float(), torch.tensor([0, 1])[: len(batch)]).backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad and p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads), (
        f"{what}: a loss on the logits must give finite gradients to the trainable parameters"
    )


# ---------------------------------------------------------------- families, stages


@contract("model")
def test_family_declares_registered_components_and_valid_recipes(component):
    from neurokit.core.data.preprocess import Preprocessing
    from neurokit.core.engine.resolve import RunSpec, resolve

    family = component.create()
    what = f"model {component.name!r}"
    assert isinstance(family, Family), (
        f"{what}: register_models must register a neurokit.Family, got {type(family).__name__}"
    )
    assert family.name == component.name, (
        f"{what}: registered under {component.name!r} but Family.name is {family.name!r}"
    )
    registry = get_registry()
    for backbone in family.backbones:
        registry.get(Kind.BACKBONE, backbone)
    for tokenizer in family.tokenizers:
        registry.get(Kind.TOKENIZER, tokenizer)
    for name, values in family.profiles.items():
        try:
            Preprocessing(**values)
        except Exception as exc:
            pytest.fail(f"{what}: profile {name!r} is not a valid Preprocessing ({exc})")
    for spec in family.stages:
        resolved = resolve(RunSpec(model=family.name, stage=spec.name))  # recipes validate
        assert resolved.config.stage == spec.name
        assert resolved.task.accepts_backbone(family.backbone), (
            f"{what}: stage {spec.name!r} uses task {spec.task!r}, whose `accepts` patterns "
            f"do not match the family's backbone {family.backbone!r}"
        )


@contract("task")
def test_task_implements_the_protocol(component):
    from neurokit.core.interfaces import Task

    task = component.create()
    assert isinstance(task, Task), (
        f"task {component.name!r}: the factory must return a neurokit.Task subclass "
        f"(with data_view() and build(context)), got {type(task).__name__}"
    )


@contract("tokenizer")
def test_tokenizer_implements_the_protocol(component):
    from neurokit.core.interfaces import Tokenizer

    tokenizer = component.create()
    assert isinstance(tokenizer, Tokenizer) and tokenizer.codebook_size > 1, (
        f"tokenizer {component.name!r}: needs `codebook_size` (> 1) and `tokenize(batch)`"
    )


@contract("trainer")
def test_trainer_implements_the_protocol(component):
    from neurokit.core.interfaces import Trainer

    assert isinstance(component.create(), Trainer), (
        f"trainer {component.name!r}: needs fit(stage, context) and evaluate(stage, context, role)"
    )


# ----------------------------------------------------------------------- datasets


@contract("dataset")
def test_dataset_implements_the_protocol(component):
    dataset = component.create()
    what = f"dataset {component.name!r}"
    assert isinstance(dataset, Dataset), (
        f"{what}: a dataset has `class_names`, `discover(raw) -> list[RecordingSource]` and "
        "`load(source) -> Recording`"
    )
    names = list(dataset.class_names)
    assert len(names) == len(set(names)), f"{what}: class_names repeat a name: {names}"


@contract("dataset")
def test_dataset_takes_a_profile(component):
    from neurokit.core.data.prepare import build_dataset
    from neurokit.core.data.preprocess import DatasetConfig

    if not issubclass(component.config_class, DatasetConfig):
        pytest.skip(
            f"dataset {component.name!r} does not take --profile (its config does not subclass "
            "neurokit.core.data.preprocess.DatasetConfig): fine for corpora stored preprocessed"
        )
    dataset, config = build_dataset(component.name, "raw")
    pre = getattr(config, "preprocessing", None)
    used = getattr(dataset, "preprocessing", pre)
    assert used is not None and used.sfreq is None and used.h_freq is None, (
        f"dataset {component.name!r}: `--profile raw` must reach the dataset: keep "
        "`self.preprocessing = config.preprocessing` and apply it in load() "
        "(prepare_raw or load_recording)"
    )


def _sample(component, sample_raw, tmp_path) -> tuple[Any, Path, list[RecordingSource]]:
    raw = sample_raw(component, tmp_path / "raw")
    if raw is None:
        pytest.skip(
            f"dataset {component.name!r}: no sample data. Implement the hook "
            "`pytest_neurokit_sample_raw(component, root)` in your conftest.py (write a tiny "
            "corpus in the dataset's raw layout under root and return root), or give the "
            "dataset a generate(root) method"
        )
    dataset = component.create()
    sources = list(dataset.discover(Path(raw)))
    return dataset, Path(raw), sources


@contract("dataset")
def test_dataset_discovers_and_loads_its_sample(component, neurokit_sample_raw, tmp_path):
    dataset, raw, sources = _sample(component, neurokit_sample_raw, tmp_path)
    what = f"dataset {component.name!r}"
    assert sources, f"{what}: discover({raw}) found no recordings in the sample"
    assert all(isinstance(s, RecordingSource) for s in sources), (
        f"{what}: discover() must return RecordingSource objects"
    )
    ids = [s.recording_id for s in sources]
    assert len(ids) == len(set(ids)), f"{what}: recording_id must be unique, repeats in {ids}"
    bad = sorted({s.split for s in sources} - SPLITS)
    assert not bad, f"{what}: split must be train, val or test, got {bad}"
    n_classes = len(dataset.class_names)
    for s in sources:
        if isinstance(s.label, int) and n_classes:
            assert 0 <= s.label < n_classes, (
                f"{what}: {s.recording_id}: label {s.label} is not an index into class_names "
                f"{list(dataset.class_names)}"
            )
    recording = dataset.load(sources[0])
    data = recording.data
    assert data.ndim == 2 and data.shape[0] == len(recording.channel_names), (
        f"{what}: Recording.data must be (channels, samples) with one name per channel; got "
        f"{data.shape} for {len(recording.channel_names)} names"
    )
    assert str(data.dtype) == "float32", f"{what}: Recording.data must be float32, got {data.dtype}"
    assert math.isfinite(float(abs(data).sum())), f"{what}: Recording.data has NaN or Inf"
    assert recording.sfreq > 0, f"{what}: Recording.sfreq must be the rate in Hz"
    for event in recording.events:
        assert 0 <= event.start < data.shape[1], (
            f"{what}: event at sample {event.start} is outside the recording ({data.shape[1]} samples)"
        )


class _FirstPerSplit:
    """A dataset seen through a few of its recordings, so the prepare check stays fast."""

    def __init__(self, dataset: Any, per_split: int = 2) -> None:
        self._dataset, self._per_split = dataset, per_split

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dataset, name)

    def discover(self, raw: Path) -> list[RecordingSource]:
        kept, seen = [], {}
        for source in self._dataset.discover(raw):
            seen[source.split] = seen.get(source.split, 0) + 1
            if seen[source.split] <= self._per_split:
                kept.append(source)
        return kept


@contract("dataset")
def test_dataset_prepares_a_store(component, neurokit_sample_raw, tmp_path):
    from neurokit.core.data.prepare import prepare
    from neurokit.core.data.store import Store

    dataset, raw, _ = _sample(component, neurokit_sample_raw, tmp_path)
    out = tmp_path / "store.zarr"
    summary = prepare(component.name, raw, out, dataset=_FirstPerSplit(dataset))
    assert not summary.failed, (
        f"dataset {component.name!r}: `neurokit prepare` failed on sample recordings: "
        + "; ".join(f"{r.id}: {r.reason}" for r in summary.failed[:3])
    )
    store = Store(out)
    assert store.recordings and set(store.splits()) <= SPLITS
    assert store.class_names == [str(c) for c in dataset.class_names]


# ------------------------------------------------------- family stages, end to end


def _chain(family: str, store: Path, out: Path, epochs: int, **extra: Any) -> list:
    import neurokit

    overrides = {
        "output_dir": str(out),
        "trainer.progress": False,
        "trainer.epochs": epochs,
        "dataset.name": "demo",
        **extra,
    }
    return neurokit.pipeline(
        family, config={"data": {"store": str(store)}}, overrides=overrides, small=True
    )


def _eeg_family(component) -> Family:
    family = component.create()
    if family.modality != "eeg":
        pytest.skip(
            f"model {component.name!r}: its stages train on {family.modality}; the chain check "
            "runs EEG families on the demo corpus"
        )
    return family


@contract("model")
def test_family_stages_chain_and_select_on_declared_metrics(
    component, neurokit_demo_store, tmp_path
):
    """`pipeline(small=True)` runs every stage on the demo corpus, each consuming the runs before it."""
    import yaml

    family = _eeg_family(component)
    results = _chain(family.name, neurokit_demo_store, tmp_path, 1, **{"data.max_windows": 48})
    assert [r.stage for r in results] == family.stage_names()
    done: dict[str, Path] = {}
    for result, stage in zip(results, family.stages, strict=True):
        report = result.report
        assert report["monitor"] in report["val"], (
            f"model {family.name!r}: stage {stage.name!r} selects on {report['monitor']!r}, "
            f"which its validation did not report ({sorted(report['val'])}): declare it in "
            "Stage.metrics and return it from compute_metrics"
        )
        saved = yaml.safe_load((result.run_dir / "config.yaml").read_text())
        assert saved["stage"] == stage.name
        for key, source in stage.consumes.items():  # what the stage consumed is the earlier run
            section, option = key.split(".", 1)
            assert saved[section][option] == str(done[source]), (
                f"model {family.name!r}: stage {stage.name!r} should have received the "
                f"{source!r} run in {key}"
            )
        done[stage.name] = result.run_dir


def _train_losses(run_dir: Path) -> list[float]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [row["train/loss"] for row in rows if "train/loss" in row]


@pytest.mark.slow
@contract("model")
def test_family_stages_learn_and_a_rerun_skips_them(component, neurokit_demo_store, tmp_path):
    family = _eeg_family(component)
    results = _chain(family.name, neurokit_demo_store, tmp_path, 4)
    losses = _train_losses(results[0].run_dir)
    assert losses[-1] < losses[0], (
        f"model {family.name!r}: the first stage's loss did not fall: {losses}"
    )
    last = results[-1].test
    assert last is not None and last["balanced_accuracy"] > 0.7, (
        f"model {family.name!r}: the last stage does not beat chance on the demo corpus: {last}"
    )
    again = _chain(family.name, neurokit_demo_store, tmp_path, 4)
    assert all(r.skipped for r in again)
    assert [r.test for r in again] == [r.test for r in results]
