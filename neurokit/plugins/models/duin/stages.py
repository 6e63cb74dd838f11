"""The torch side of the `duin` family's stages (imported when a run builds them).

- `VQVAEStage` trains `duin-vqvae` on its own loss (masked MSE + commitment) and reports
  codebook usage over each split.
- `MAEStage` trains `duin-mae` to predict the codes a frozen VQ-VAE gives each token,
  every token predicted from the symmetric view in which it is masked.
- the finetune stage is neurokit's `FinetuneModule` on `duin-cls`, started from the MAE
  run's subject block, tokenizer and encoder through the Du-IN weights filter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

import neurokit
from neurokit.core.errors import ConfigError, DataError
from neurokit.core.stage import Direction, LossOutput, Stage, StepOutput
from neurokit.core.weights import read_state_dict, sub_state
from neurokit.nn.quantizers import codebook_usage
from neurokit.plugins.models.duin.augment import shifted
from neurokit.plugins.models.duin.inputs import to_duin_input
from neurokit.plugins.models.duin.losses import classification_loss, code_loss
from neurokit.plugins.models.duin.weights import load_full, load_official


class VQVAEStage(Stage):
    """`pretrain-tokenizer`: the VQ-VAE's reconstruction + commitment loss, codex usage on eval."""

    metrics: dict[str, Direction] = {
        "rgs_loss": "min",
        "vq_loss": "min",
        "codebook_usage": "max",
        "codes_used": "max",
        "code_perplexity": "max",
    }

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.backbone = model

    def _step(self, batch) -> tuple[StepOutput, Any]:
        model = self.backbone
        inp = to_duin_input(batch, model)
        _, loss = model((inp.x, inp.subj_id, inp.channel_mask))
        return StepOutput(
            loss.total, {"rgs_loss": loss.rgs.detach(), "vq_loss": loss.vq.detach()}
        ), inp

    def training_step(self, batch) -> StepOutput:
        return self._step(batch)[0]

    def evaluation_step(self, batch) -> StepOutput:
        step, inp = self._step(batch)
        model = self.backbone
        codes = model.vq_block.encode(model.encode(model.tokens(inp.x, inp.subj_id)))[1]
        step.predictions = codes.reshape(codes.shape[0], -1)
        return step

    def compute_metrics(self, predictions: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
        codes = predictions.reshape(-1).astype(np.int64)
        return codebook_usage(np.bincount(codes, minlength=self.backbone.codebook_size))


def frozen_vqvae(source: str, options: dict[str, Any]) -> nn.Module:
    """A trained VQ-VAE in eval mode: a pretrain-tokenizer run (its own model and task options,
    this run's data shapes) or an official checkpoint (loaded through the Du-IN filter)."""
    path = Path(source)
    if path.is_dir():
        from neurokit.core.engine.resolve import load_run_config

        saved = load_run_config(path)
        from neurokit.plugins.models.duin.config import DuINConfig

        model = {
            k: v
            for k, v in (saved.get("model") or {}).items()
            if k in DuINConfig.model_fields and k != "pretrained"
        }
        task = saved.get("task") or {}
        options = {**model, **{k: options[k] for k in ("n_channels", "n_subjects", "seq_len")}}
        options["decoder_blocks"] = int(task.get("decoder_blocks", 4))
        vqvae = neurokit.create("backbone", "duin-vqvae", **options)
        state = read_state_dict(path)
        if any(k.startswith("backbone.") for k in state):
            state = sub_state(state, "backbone.")
        load_full(vqvae, state)
    else:
        vqvae = neurokit.create("backbone", "duin-vqvae", **options)
        load_official(vqvae, path, "vqvae")
    if not vqvae.vq_block.initialised:
        raise DataError(f"the VQ-VAE in {source!r} never trained (its codex is uninitialised)")
    return vqvae.requires_grad_(False).eval()


class MAEStage(Stage):
    """`pretrain`: cross-entropy of the MAE's code logits against the frozen VQ-VAE's codes.

    `code_accuracy` is the share of tokens whose code is predicted (each token from the
    view where it is masked); `commonest_code` is what always guessing the batch's most
    frequent code would score, the baseline it has to beat.
    """

    metrics: dict[str, Direction] = {"code_accuracy": "max", "commonest_code": "max"}

    def __init__(self, model: nn.Module, vqvae: nn.Module, mask_ratio: float) -> None:
        super().__init__()
        self.backbone = model
        self.vqvae = vqvae
        self.mask_ratio = mask_ratio

    def train(self, mode: bool = True) -> MAEStage:
        super().train(mode)
        self.vqvae.eval()
        return self

    def training_step(self, batch) -> StepOutput:
        mae = self.backbone
        inp = to_duin_input(batch, mae)
        with torch.no_grad():
            vq = self.vqvae
            codes = vq.vq_block.encode(vq.encode(vq.tokens(inp.x, inp.subj_id)))[1]
        e_init = mae.tokens(inp.x, inp.subj_id)
        mask = mae.gen_mask(e_init, mask_ratio=self.mask_ratio)
        c_pred = mae.predict(e_init, mask)
        loss = code_loss(c_pred, codes)
        with torch.no_grad():
            acc = (c_pred.argmax(-1) == codes).float().mean()
            commonest = torch.bincount(codes.reshape(-1)).max().float() / codes.numel()
        return StepOutput(loss, {"code_accuracy": acc, "commonest_code": commonest})


class OfficialCrossEntropy(nn.Module):
    """The official classifier loss: cross-entropy of the Sigmoid outputs (kept as an option)."""

    def forward(self, logits: torch.Tensor, batch) -> LossOutput:
        if batch.label is None:
            raise ConfigError("the Du-IN classifier needs labelled windows")
        return LossOutput(classification_loss(logits, batch.label, official=True))


def load_pretrained(model: nn.Module, source: str, target: str = "cls") -> None:
    """The blocks `target` takes (subject block, tokenizer, encoder; + codex for a VQ-VAE) of a
    Du-IN run or an official checkpoint, through the Du-IN filter (strict otherwise)."""
    state = read_state_dict(source)
    if any(k.startswith("backbone.") for k in state):
        state = sub_state(state, "backbone.")  # a neurokit run: not the MAE stage's frozen VQ-VAE
    load_official(model, state, target)


def _finetune_module_class():
    from neurokit.plugins.tasks._finetune_module import FinetuneModule

    class DuINFinetune(FinetuneModule):
        """neurokit's finetune stage with Du-IN's shift augmentation on training batches."""

        max_shift = 0

        def training_step(self, batch) -> StepOutput:
            return super().training_step(shifted(batch, self.max_shift))

    return DuINFinetune


def build_cls_stage(task, context):
    """duin-cls shaped by the run's data, from `model.pretrained`, in neurokit's finetune stage."""
    from neurokit.plugins.models.duin.family import model_options, shapes

    data = context.data
    if data.label_kind != "class" or len(data.class_names) < 2:
        raise DataError(
            f"dataset {context.config.dataset.name!r} has no class labels; the Du-IN finetune "
            "stage needs labelled trials (at least 2 words)"
        )
    num_classes = len(data.class_names)
    options = {**model_options(context), **shapes(context)}
    model = neurokit.create("backbone", "duin-cls", n_labels=num_classes, **options)
    pretrained = dict(context.config.model.options).get("pretrained")
    if pretrained:
        load_pretrained(model, str(pretrained))
    objective = OfficialCrossEntropy() if task.config.official_loss else context.objective
    if objective is None:
        raise ConfigError("the Du-IN finetune stage needs an objective (classification)")
    counts = list(data.class_counts or []) or None
    stage = _finetune_module_class()(
        model, objective, "multiclass", num_classes, list(data.class_names), counts
    )
    stage.max_shift = int(task.config.max_shift)
    return stage
