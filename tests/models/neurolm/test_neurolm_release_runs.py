"""Released NeuroLM files start runs: `model.pretrained=NeuroLM-B.pt` (instruct) and
`task.tokenizer=VQ.pt` (pretrain), each synthesized here at the family's small size in the
official file format (`model` with `_orig_mod.` keys, `model_args` / `encoder_args` /
`decoder_args`, optimizer state); a wrong, corrupt or mis-sized file is one clear error."""

from __future__ import annotations

import pytest
import torch
import yaml

import neurokit
from neurokit.core.engine.resolve import resolve as resolve_run
from neurokit.core.engine.rundir import LAST
from neurokit.core.errors import ConfigError, WeightsError
from neurokit.plugins.models.neurolm.config import NeuroLMConfig, NeuroLMVQConfig, NTArgs
from neurokit.plugins.models.neurolm.family import SMALL_ENCODER, SMALL_LM, SMALL_TOKENIZER
from neurokit.plugins.models.neurolm.model import NeuroLM
from neurokit.plugins.models.neurolm.tokenizer import VQAlign
from tests.conftest import assert_clean_failure, run_cli
from tests.models.neurolm.tiny import eeg_batch, write_release

GPT = {  # the family's small LM
    **{k: SMALL_LM[f"model.{k}"] for k in ("n_layer", "n_head", "n_embd", "block_size")},
    "bias": True,
}
FAST = {
    "trainer.progress": False,
    "trainer.epochs": 1,
    "trainer.max_steps": 2,
    "data.batch_size": 4,
    "data.window_seconds": 2,
    "data.max_windows": 8,
    "dataset.name": "demo",
}


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """A `VQ.pt` and a `NeuroLM-B.pt` (whose encoder is the VQ's, as the official pretrain)."""
    root = tmp_path_factory.mktemp("neurolm-release")
    torch.manual_seed(1)
    vq = VQAlign.from_config(NeuroLMVQConfig(**SMALL_TOKENIZER))
    x, chans, times, mask = eeg_batch(batch=4, chans=3, times=4, pad=0)
    vq.VQ.get_codebook_indices(x, chans, times, mask)  # k-means init: a trained codebook
    enc = {**SMALL_ENCODER, "block_size": 1024, "bias": False, "dropout": 0.0, "in_chans": 1}
    dec = {**SMALL_TOKENIZER["decoder_args"], "block_size": 1024, "bias": False}
    write_release(root / "VQ.pt", vq, encoder_args=enc, decoder_args=dec)
    lm = NeuroLM(
        NeuroLMConfig(**GPT, vocab_size=50304, eeg_vocab_size=64, encoder_args=NTArgs(**enc))
    )
    lm.tokenizer.load_state_dict(vq.VQ.encoder.state_dict())
    write_release(
        root / "NeuroLM-B.pt", lm, model_args={**GPT, "vocab_size": 50304, "dropout": 0.0}
    )
    return root, vq.state_dict(), lm.state_dict()


def _checkpoint(run_dir) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / LAST, map_location="cpu", weights_only=True)["model"]


def test_instruct_starts_from_a_released_lm_sized_by_its_model_args(
    releases, neurokit_demo_store, tmp_path
):
    root, _, lm_state = releases
    result = neurokit.train(
        neurokit.RunSpec(
            model="neurolm",
            stage="instruct",
            config={"data": {"store": str(neurokit_demo_store)}},
            overrides={
                **FAST,
                "output_dir": str(tmp_path),
                "model.pretrained": str(root / "NeuroLM-B.pt"),
                "model.encoder_args": SMALL_ENCODER,  # released files do not carry these
                "task.eeg_max_len": 64,
                "task.text_max_len": 160,
            },
        )
    )
    saved = yaml.safe_load((result.run_dir / "config.yaml").read_text())["model"]
    assert {k: saved[k] for k in GPT} == GPT  # the file sized the model, not the B defaults
    assert saved["eeg_vocab_size"] == 64 and saved["padded_vocab_size"] == 50304
    state = _checkpoint(result.run_dir)
    frozen = [k for k in lm_state if k.startswith("tokenizer.")]
    assert frozen
    for key in frozen:  # the frozen encoder is the file's, tensor for tensor
        assert torch.equal(state["backbone." + key], lm_state[key]), key


def test_pretrain_takes_its_tokenizer_from_a_released_vq(releases, neurokit_demo_store, tmp_path):
    root, vq_state, _ = releases
    result = neurokit.train(
        neurokit.RunSpec(
            model="neurolm",
            stage="pretrain",
            config={"data": {"store": str(neurokit_demo_store)}},
            overrides={
                **FAST,
                "output_dir": str(tmp_path),
                "task.tokenizer": str(root / "VQ.pt"),
                **{f"model.{k}": v for k, v in GPT.items()},
            },
        )
    )
    state = _checkpoint(result.run_dir)
    assert torch.equal(
        state["vq.VQ.quantize.embedding.weight"], vq_state["VQ.quantize.embedding.weight"]
    )
    encoder = [k for k in vq_state if k.startswith("VQ.encoder.")]
    for key in encoder:  # the LM embeds EEG with the released VQ's encoder
        assert torch.equal(state["backbone.tokenizer." + key[11:]], vq_state[key]), key


def test_a_wrong_or_corrupt_release_is_one_clear_error(releases, tmp_path):
    root, _, _ = releases
    bad = tmp_path / "NeuroLM-B.pt"
    bad.write_bytes((root / "NeuroLM-B.pt").read_bytes()[:5000])  # a truncated download
    runs = tmp_path / "runs"
    result = run_cli(
        "train", "--model", "neurolm", "--task", "instruct", "--dataset", "demo",
        "--set", f"output_dir={runs}", "--set", f"model.pretrained={bad}", cwd=tmp_path,
    )  # fmt: skip
    assert_clean_failure(result, str(bad))
    assert not runs.exists()  # refused before any run directory

    def resolve(model="neurolm", **overrides):
        spec = neurokit.RunSpec(model=model, stage="instruct", overrides=overrides)
        return resolve_run(spec)

    with pytest.raises(WeightsError, match="no NeuroLM language-model weights"):
        resolve(**{"model.pretrained": str(root / "VQ.pt")})
    # a B-sized file given to the L variant (whose sizes its name fixes), or a clashing --set
    with pytest.raises(ConfigError, match=rf"n_layer=24 \(the file has {GPT['n_layer']}\)"):
        resolve("neurolm-l", **{"model.pretrained": str(root / "NeuroLM-B.pt")})
    with pytest.raises(ConfigError, match=r"n_embd=64 \(the file has 32\)"):
        resolve(**{"model.pretrained": str(root / "NeuroLM-B.pt"), "model.n_embd": 64})
