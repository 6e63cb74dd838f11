"""The `duin` family's three stages chained on a prepared Du-IN-layout corpus.

The corpus is written in the released layout (pickles) by tests/datasets/duin_corpus.py:
6 words, each a frequency burst on three of the subject's 10 official contacts, and
prepared with `neurokit prepare duin`. `neurokit.pipeline("duin", small=True)` runs
VQ-VAE -> MAE -> classifier; each stage must consume the run before it and the
classifier must beat chance (1/6) on the test split.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import neurokit
from neurokit.core.errors import ConfigError
from tests.datasets.duin_corpus import WORDS, write_corpus, write_pretrain


@pytest.fixture(scope="module")
def duin_store(tmp_path_factory) -> Path:
    from tests.conftest import run_cli

    root = tmp_path_factory.mktemp("duin-family")
    raw = write_corpus(root / "raw", runs=(1, 2), per_word_per_run=6)
    write_pretrain(raw, n_files=10, seconds=6.0)  # the unreleased pretraining layout too
    out = root / "duin.zarr"
    result = run_cli("prepare", "duin", "--raw", str(raw), "--out", str(out), cwd=root)
    assert result.returncode == 0, result.stderr
    return out


def test_family_declaration():
    family = neurokit.get_family("duin")
    assert family.modality == "seeg" and family.backbone == "duin-cls"
    assert family.stage_names() == ["pretrain-tokenizer", "pretrain", "finetune"]
    assert family.stage("pretrain").consumes == {"task.tokenizer": "pretrain-tokenizer"}
    assert family.stage("finetune").consumes == {"model.pretrained": "pretrain"}
    cls = family.stage("finetune").recipe["trainer"]
    assert (cls["lr"], cls["min_lr"], cls["weight_decay"]) == (2e-4, 5e-6, 0.05)


def test_three_stages_chain_consume_and_beat_chance(duin_store, tmp_path):
    results = neurokit.pipeline(
        "duin",
        config={"data": {"store": str(duin_store)}},
        overrides={
            "output_dir": str(tmp_path),
            "trainer.progress": False,
            "trainer.epochs": 3,
            "dataset.name": "duin",
            "data.subjects": ["001"],
        },
        small=True,
    )
    family = neurokit.get_family("duin")
    assert [r.stage for r in results] == family.stage_names()
    done: dict[str, Path] = {}
    for result, spec in zip(results, family.stages, strict=True):
        report = result.report
        assert report["monitor"] in report["val"], (spec.name, report["val"])
        saved = yaml.safe_load((result.run_dir / "config.yaml").read_text())
        assert saved["stage"] == spec.name
        assert saved["model"]["n_channels"] == 10  # the backbone's config; shapes come from data
        for key, source in spec.consumes.items():
            section, option = key.split(".", 1)
            assert saved[section][option] == str(done[source])
        done[spec.name] = result.run_dir
    vq, mae, cls = results
    assert {"rgs_loss", "vq_loss", "codes_used", "code_perplexity"} <= set(vq.val), vq.val
    # measured (3 epochs, sEEG-like corpus + pretraining files): 9 codes used, perplexity
    # 7.1; MAE 0.32 vs 0.23 for the commonest code (0.64 vs 0.62 before the corpus's
    # alpha/beta bursts gave tokens context); classifier test 0.67
    assert vq.val["codes_used"] >= 3 and vq.val["code_perplexity"] > 2, vq.val
    assert mae.val["code_accuracy"] > mae.val["commonest_code"] + 0.04, mae.val
    chance = 1 / len(WORDS)
    assert cls.test["accuracy"] > 2 * chance, cls.test


def test_pretraining_stages_crop_the_pretrain_layout_at_random_each_epoch(duin_store):
    """The VQ-VAE/MAE runs' training windows include the pretraining files (unlabelled, so
    finetuning never sees them), cut as random 4-s crops that change per epoch, stay inside
    each recording and repeat exactly for the same epoch (resume); val stays on the grid."""
    import numpy as np

    from neurokit.core.engine.data import build_datasets
    from neurokit.core.engine.resolve import RunSpec, resolve

    def datasets(stage):
        run = resolve(RunSpec(model="duin", dataset="duin", stage=stage,
                              config={"data": {"store": str(duin_store)}},
                              overrides={"data.subjects": ["001"]}))  # fmt: skip
        view = run.task.data_view()
        return build_datasets(run.config, view, {"train": "train", "val": "val"}, warm=False)[0]

    for stage in ("pretrain-tokenizer", "pretrain"):
        train, val = (datasets(stage)[r] for r in ("train", "val"))
        ids = [train.metas[r].id for r in np.unique(train.window_recordings)]
        assert sum("__pretrain__" in i for i in ids) == 8, ids  # 80 % of the 10 files
        idx = np.arange(len(train))
        train.set_epoch(0)
        first = train.read_batch(idx)
        train.set_epoch(1)
        second = train.read_batch(idx)
        train.set_epoch(0)
        again = train.read_batch(idx)
        assert first.signal.shape[-1] == 4000 and first.start.tolist() == again.start.tolist()
        assert np.array_equal(first.signal.numpy(), again.signal.numpy())
        assert first.start.tolist() != second.start.tolist()
        lengths = np.array([train.metas[r].n_samples for r in train.window_recordings])
        assert ((second.start.numpy() + 4000) <= lengths).all()
        val.set_epoch(1)
        assert val.read_batch(np.arange(len(val))).start.numpy().tolist() == val._start.tolist()
    finetune = datasets("finetune")["train"]
    assert not any("__pretrain__" in finetune.metas[r].id for r in finetune.window_recordings)


def test_pretrain_without_tokenizer_is_a_clear_error(duin_store, tmp_path):
    with pytest.raises(ConfigError, match="task.tokenizer"):
        neurokit.train(
            model="duin",
            dataset="duin",
            stage="pretrain",
            config={"data": {"store": str(duin_store)}},
            overrides={"output_dir": str(tmp_path), "trainer.epochs": 1},
        )


@pytest.mark.slow
def test_official_loss_from_scratch_beats_chance(duin_store, tmp_path):
    """`task.official_loss=true` (CE on the Sigmoid outputs) still learns the separable words."""
    result = neurokit.train(
        model="duin",
        dataset="duin",
        stage="finetune",
        config={"data": {"store": str(duin_store)}},
        overrides={
            "output_dir": str(tmp_path),
            "trainer.progress": False,
            "trainer.epochs": 6,
            "trainer.warmup_epochs": 0,
            "trainer.lr": 1e-3,
            "task.official_loss": True,
            "data.batch_size": 16,
            "model.n_blocks": 1,
            "model.n_heads": 2,
            "model.d_head": 16,
        },
    )
    assert result.test["accuracy"] > 2 / len(WORDS), result.test


@pytest.mark.slow
def test_cli_pipeline_one_subject(duin_store, tmp_path, cli):
    result = cli(
        "pipeline", "--model", "duin", "--dataset", "duin", "--small",
        "--set", f"data.store={duin_store}", "--set", "data.subjects=['001']",
        "--set", "trainer.epochs=1", "--set", f"output_dir={tmp_path}",
        "--set", "trainer.progress=false",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    runs = sorted(p.name for p in (tmp_path / "duin-duin").iterdir())
    assert runs == ["1-pretrain-tokenizer", "2-pretrain", "3-finetune"]


def test_finetune_weights_come_from_the_mae_not_its_frozen_vqvae(tmp_path):
    """A `pretrain` checkpoint holds `backbone.*` (the MAE) and `vqvae.*` (the frozen
    tokenizer, same block names): the classifier must take the MAE's blocks."""
    import torch

    from neurokit.plugins.models.duin.stages import load_pretrained

    small = dict(n_channels=4, n_subjects=1, n_blocks=1, n_heads=2, d_head=8, codex_size=16)
    mae = neurokit.create("backbone", "duin-mae", seq_len=400, **small)
    vqvae = neurokit.create("backbone", "duin-vqvae", seq_len=400, decoder_blocks=1, **small)
    state = {f"backbone.{k}": v for k, v in mae.state_dict().items()}
    state |= {f"vqvae.{k}": v for k, v in vqvae.state_dict().items()}
    torch.save(state, tmp_path / "pretrain.pt")
    cls = neurokit.create("backbone", "duin-cls", seq_len=300, n_labels=6, **small)
    load_pretrained(cls, str(tmp_path / "pretrain.pt"))
    for key, value in cls.state_dict().items():
        if key.startswith(("subj_block.", "tokenizer.", "encoder.")):
            assert torch.equal(value, mae.state_dict()[key]), key


@pytest.mark.slow
def test_vqvae_run_initialises_the_classifier(duin_store, tmp_path):
    """The table's `+vqvae` row (README): `finetune --set model.pretrained=<pretrain-tokenizer
    run dir>` starts the classifier from the VQ-VAE's subject block, tokenizer and encoder.
    At lr 1e-12 the finetune run's two AdamW steps move a weight by at most ~2e-12, so it
    saves the weights it started from to within 1e-9 (initialisations differ by ~1e-2)."""
    import torch

    from neurokit.core.weights import read_state_dict

    common = {
        "trainer.progress": False, "trainer.epochs": 1, "trainer.warmup_epochs": 0,
        "data.max_windows": 16, "data.batch_size": 8, "model.n_blocks": 1,
        "model.n_heads": 2, "model.d_head": 16, "model.codex_size": 16,
    }  # fmt: skip
    config = {"data": {"store": str(duin_store)}}
    vq = neurokit.train(
        model="duin", dataset="duin", stage="pretrain-tokenizer", config=config,
        overrides={**common, "output_dir": str(tmp_path), "run_name": "vq",
                   "task.decoder_blocks": 1},
    )  # fmt: skip
    cls = neurokit.train(
        model="duin", dataset="duin", stage="finetune", config=config,
        overrides={**common, "output_dir": str(tmp_path), "run_name": "cls", "trainer.lr": 1e-12,
                   "trainer.min_lr": 1e-12, "model.pretrained": str(vq.run_dir)},
    )  # fmt: skip

    def bare(state):  # a run's tensors, without the task's `backbone.` prefix
        return {k.removeprefix("backbone."): v for k, v in state.items()}

    source, loaded = bare(read_state_dict(vq.run_dir)), bare(read_state_dict(cls.run_dir))
    fresh = neurokit.create(
        "backbone", "duin-cls", n_channels=10, n_subjects=1, seq_len=3000, n_labels=len(WORDS),
        n_blocks=1, n_heads=2, d_head=16, codex_size=16,
    )  # fmt: skip
    blocks = ("subj_block.", "tokenizer.", "encoder.")
    compared = 0
    for key, value in fresh.named_parameters():
        if not key.startswith(blocks):
            continue
        torch.testing.assert_close(loaded[key], source[key], rtol=0, atol=1e-9, msg=key)
        if value.requires_grad:  # trained by the VQ-VAE run: not some initialisation
            assert not torch.equal(loaded[key], value), key
        compared += 1
    assert compared >= 20
    # the VQ-VAE's own blocks did not come along (the classifier's codex stays its own)
    assert not torch.equal(loaded["vq_block.codex.embeddings"], source["vq_block.codex.embeddings"])
