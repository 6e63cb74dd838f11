"""The one resolver: precedence, families and stages, --from, and refusals before any work."""

from __future__ import annotations

import pytest
import yaml

from neurokit.core.engine.resolve import RunSpec, config_hash, resolve
from neurokit.core.errors import ConfigError, DataError, UnknownComponentError


def test_precedence_recipe_file_overrides_flags(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(
        "model: {name: tiny-cnn, width: 8}\ndata: {batch_size: 4}\nseed: 3\ntrainer: {lr: 0.5}\n"
    )
    resolved = resolve(
        RunSpec(model="tiny", config=path, overrides={"data.batch_size": 16, "model.depth": 2})
    )
    config = resolved.config
    assert config.model.name == "tiny"  # the explicit argument beats the file
    assert config.model.options["width"] == 8 and config.model.options["depth"] == 2
    assert config.data.batch_size == 16 and config.seed == 3
    assert config.trainer.options["lr"] == 0.5  # the file beats the family recipe (3e-3)
    assert config.trainer.options["epochs"] == 25  # the recipe beats the trainer default
    assert config.stage == "finetune" and config.task.name == "finetune"


def test_a_stage_name_runs_the_family_task_with_its_recipe():
    config = resolve(RunSpec(model="labram", stage="pretrain")).config
    assert config.task.name == "labram-mem" and config.stage == "pretrain"
    assert config.trainer.options["clip_grad"] == 3.0 and config.objective.name == "masked-token"


def test_a_variant_backbone_gets_its_family_recipes():
    resolved = resolve(RunSpec(model="luna-large"))
    assert resolved.family.name == "luna" and resolved.components["model"].name == "luna-large"
    assert (
        resolved.config.data.window_seconds == 5.0
    )  # LUNA's recipe; one knob: data.window_seconds
    assert resolved.config.trainer.options["layer_decay"] == 0.75


def test_a_task_that_does_not_fit_the_model_is_refused():
    with pytest.raises(ConfigError, match="does not fit model 'tiny'.*labram-"):
        resolve(RunSpec(model="tiny", stage="labram-tokenizer"))


def test_unknown_dataset_gets_suggestions():
    with pytest.raises(UnknownComponentError, match="Did you mean 'demo'"):
        resolve(RunSpec(model="tiny", dataset="dmeo"))


def test_impossible_betas_and_missing_cuda_are_config_errors():
    with pytest.raises(ConfigError, match="trainer.betas"):
        resolve(RunSpec(model="tiny", overrides={"trainer.betas": [2, 3]}))
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA device"):
            resolve(RunSpec(model="tiny", overrides={"trainer.device": "cuda"}))


def test_from_wires_what_the_stage_consumes(tmp_path):
    tokenizer_run = tmp_path / "tok"
    tokenizer_run.mkdir()
    saved = resolve(RunSpec(model="labram", stage="pretrain-tokenizer")).config
    (tokenizer_run / "config.yaml").write_text(yaml.safe_dump(saved.model_dump(mode="json")))
    config = resolve(RunSpec(model="labram", stage="pretrain", from_run=tokenizer_run)).config
    assert config.task.options["tokenizer"] == str(tokenizer_run)
    with pytest.raises(ConfigError, match="consumes model.pretrained from a 'pretrain' run"):
        resolve(RunSpec(model="labram", stage="finetune", from_run=tokenizer_run))
    with pytest.raises(DataError, match="does not exist"):
        resolve(RunSpec(model="labram", stage="pretrain", from_run=tmp_path / "nope"))


def test_the_config_hash_identifies_what_is_computed_not_where():
    a = resolve(RunSpec(model="tiny", dataset="demo")).config
    b = resolve(RunSpec(model="tiny", dataset="demo", overrides={"output_dir": "elsewhere"})).config
    c = resolve(RunSpec(model="tiny", dataset="demo", overrides={"trainer.lr": 0.1})).config
    assert config_hash(a) == config_hash(b) != config_hash(c)
    assert len(config_hash(a)) == 16


def test_a_saved_config_resolves_to_itself():
    config = resolve(
        RunSpec(model="labram", stage="pretrain", overrides={"trainer.lr": 0.01})
    ).config
    again = resolve(RunSpec(config=yaml.safe_load(yaml.safe_dump(config.model_dump(mode="json")))))
    assert again.config == config
