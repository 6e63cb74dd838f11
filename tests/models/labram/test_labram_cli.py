"""`neurokit train --model labram` from the CLI on the demo store: the three stages chained,
and the user errors on the way (no tokenizer, a checkpoint that does not fit)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_clean_failure, run_cli

SMALL = [
    "--set",
    "model.depth=2",
    "--set",
    "trainer.progress=false",
    "--set",
    "data.window_seconds=4",
    "--set",
    "data.batch_size=16",
]
TINY_TOKENIZER = (
    "task.tokenizer_options={encoder_depth: 1, decoder_depth: 1, num_codes: 256, code_dim: 16}"
)


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("labram-demo")
    result = run_cli(
        "prepare",
        "demo",
        "--out",
        str(root / "demo.zarr"),
        "--set",
        "subjects=10",
        "--set",
        "sessions=1",
        "--set",
        "min_seconds=40",
        "--set",
        "max_seconds=60",
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    return root


def train(root, out, *args, timeout=900):
    return run_cli(
        "train",
        "--model",
        "labram",
        "--dataset",
        "demo",
        "--set",
        f"data_root={root}",
        "--set",
        f"output_dir={out}",
        "--set",
        "run_name=run",
        *SMALL,
        *args,
        cwd=out.parent,
        timeout=timeout,
    )


def report(out) -> dict:
    return json.loads((out / "run" / "report.json").read_text())


def test_pretrain_without_a_tokenizer_is_a_clear_error(demo_root, tmp_path):
    result = train(
        demo_root, tmp_path / "runs", "--task", "pretrain", "--set", "data.max_windows=8"
    )
    assert_clean_failure(result, "task.tokenizer")


def test_a_checkpoint_that_does_not_fit_is_a_clear_error(demo_root, tmp_path):
    import torch

    bad = tmp_path / "labram-base.pth"
    torch.save(
        {"model": {"student.cls_token": torch.zeros(1, 1, 200), "student.foo": torch.zeros(2)}}, bad
    )
    result = train(
        demo_root,
        tmp_path / "runs",
        "--set",
        f"model.pretrained={bad}",
        "--set",
        "data.max_windows=8",
    )
    assert_clean_failure(result, "missing (", "unexpected (1): foo")


@pytest.mark.slow
def test_three_stages_chain_on_the_demo_store(demo_root, tmp_path):
    tok_out, mem_out, ft_out = tmp_path / "tok", tmp_path / "mem", tmp_path / "ft"
    result = train(
        demo_root,
        tok_out,
        "--task",
        "pretrain-tokenizer",
        "--set",
        TINY_TOKENIZER,
        "--set",
        "trainer.epochs=3",
        "--set",
        "trainer.warmup_epochs=0",
    )
    assert result.returncode == 0, result.stderr
    tok = report(tok_out)
    assert tok["val"]["codebook_usage"] > 0.3  # the recipe's lr keeps the codebook alive
    logged = [
        json.loads(line) for line in (tok_out / "run" / "metrics.jsonl").read_text().splitlines()
    ]
    val = [row["val/rec_loss"] for row in logged if "val/rec_loss" in row]
    assert len(val) == 3 and val[-1] < val[0]
    config = (tok_out / "run" / "config.yaml").read_text()
    assert "name: vq-fourier" in config and "weight_decay: 0.0001" in config  # the README recipe

    result = train(
        demo_root,
        mem_out,
        "--task",
        "pretrain",
        "--set",
        f"task.tokenizer={tok_out / 'run'}",
        "--set",
        "trainer.epochs=2",
        "--set",
        "trainer.warmup_epochs=0",
    )
    assert result.returncode == 0, result.stderr
    mem = report(mem_out)
    assert mem["val"]["mlm_acc"] > 1 / 256
    config = (mem_out / "run" / "config.yaml").read_text()
    assert "mask_ratio: 0.5" in config and "clip_grad: 3.0" in config

    result = train(
        demo_root,
        ft_out,
        "--set",
        f"model.pretrained={mem_out / 'run'}",
        "--set",
        "trainer.epochs=8",
        "--set",
        "data.window_seconds=2",
        "--set",
        "trainer.warmup_epochs=0.5",
        "--set",
        "trainer.lr=1e-3",
    )
    assert result.returncode == 0, result.stderr
    ft = report(ft_out)
    config = (ft_out / "run" / "config.yaml").read_text()
    assert "layer_decay: 0.65" in config and "label_smoothing: 0.1" in config
    assert ft["test"]["balanced_accuracy"] > 0.8
