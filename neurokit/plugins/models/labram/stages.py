"""The torch side of LaBraM's pretraining tasks (imported when a run builds them).

Both stages re-cut each window into chunks of channels x seconds close to the token
budget (256 in the paper: 64 channels x 4 s, 32 x 8 s, ...), the reference's
bucketing by montage done per batch: every batch holds one montage's windows (or is
padded to one), so its chunk length follows its channel count.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from neurokit.core.errors import ConfigError
from neurokit.core.stage import Direction, Evaluation, Stage, StepOutput
from neurokit.nn.quantizers import codebook_usage
from neurokit.plugins.models.labram.inputs import LabramInput, to_labram_input
from neurokit.plugins.models.labram.losses import MaskedTokenOutputs
from neurokit.plugins.models.labram.model import NeuralTransformerForMEM, random_masking

ANY_LENGTH = 1 << 30  # pretraining takes windows of any length and re-cuts them to <= 16 s


def chunk_seconds(num_channels: int, num_patches: int, budget: int, max_patches: int = 16) -> int:
    """Seconds per chunk: floor(budget / channels), within 1..min(window, 16)."""
    return max(1, min(budget // max(num_channels, 1), num_patches, max_patches))


def rechunk(inp: LabramInput, budget: int) -> LabramInput:
    """Split (B, N, A, 200) windows into (B * k, N, a, 200) chunks with N * a near `budget`."""
    b, n, a_total, p = inp.x.shape
    a = chunk_seconds(n, a_total, budget)
    k = a_total // a
    if k == 1 and a == a_total:
        return inp
    x = inp.x[:, :, : k * a].reshape(b, n, k, a, p).transpose(1, 2).reshape(b * k, n, a, p)
    chans = inp.input_chans
    if isinstance(chans, torch.Tensor):
        chans = chans.repeat_interleave(k, dim=0)
    mask = None if inp.channel_mask is None else inp.channel_mask.repeat_interleave(k, dim=0)
    return LabramInput(x=x, input_chans=chans, channel_mask=mask)


def token_valid(inp: LabramInput) -> torch.Tensor:
    """(B, N*A) True where a token belongs to a real channel."""
    b, n, a, _ = inp.x.shape
    if inp.channel_mask is None:
        return torch.ones(b, n * a, dtype=torch.bool, device=inp.x.device)
    return inp.channel_mask[:, :, None].expand(-1, -1, a).flatten(1)


class TokenizerPretrainModule(Stage):
    """`pretrain-tokenizer`: VQ-NSP trained on Fourier amplitude and phase targets.

    Evaluation also reports codebook usage over the split (share and number of codes
    used, code perplexity), counted from the codes it sees.
    """

    metrics: dict[str, Direction] = {
        "rec_loss": "min",
        "rec_angle_loss": "min",
        "quant_loss": "min",
        "codebook_usage": "max",
        "codes_used": "max",
        "code_perplexity": "max",
    }

    def __init__(self, tokenizer: nn.Module, objective: nn.Module, token_budget: int) -> None:
        super().__init__()
        self.tokenizer = tokenizer
        self.objective = objective
        self.token_budget = token_budget

    def no_weight_decay(self) -> set[str]:
        return {f"tokenizer.{n}" for n in self.tokenizer.no_weight_decay()}

    def _step(self, batch) -> tuple[StepOutput, torch.Tensor]:
        inp = rechunk(self.tokenizer.labram_input(batch, max_patches=ANY_LENGTH), self.token_budget)
        parts = self.tokenizer.forward_parts(inp.x, inp.input_chans, inp.channel_mask)
        out = self.objective(parts, batch)
        return StepOutput(out.loss, out.logs), parts["codes"]

    def training_step(self, batch) -> StepOutput:
        return self._step(batch)[0]

    def evaluation_step(self, batch) -> StepOutput:
        step, codes = self._step(batch)
        step.extras["codes"] = codes.reshape(len(batch), -1)  # one row of codes per window
        return step

    # Windows of a split may have different patch counts, so the codes are counted as they
    # come (`observe`) rather than gathered as predictions of one width.
    def begin_split(self, evaluation: Evaluation) -> None:
        self._code_counts = torch.zeros(
            self.tokenizer.codebook_size, dtype=torch.float64, device=evaluation.device
        )

    def observe(self, step: StepOutput, batch, valid: int) -> None:
        codes = step.extras["codes"][:valid].reshape(-1).long()
        codes = codes[codes >= 0]  # -1: padded tokens
        self._code_counts += torch.bincount(codes, minlength=len(self._code_counts)).double()

    def conclude(self, evaluation: Evaluation) -> dict[str, Any]:
        used = evaluation.gather(self._code_counts.cpu().numpy()[None]).sum(0)
        return codebook_usage(used)


class MEMPretrainModule(Stage):
    """`pretrain`: masked EEG modelling against a frozen VQ-NSP, symmetric masking.

    `backbone` is the NeuralTransformerForMEM (so checkpoints hold `backbone.student.*`,
    which `labram-*` backbones load as pretrained weights); `tokenizer` is frozen and
    always in eval mode.
    """

    metrics: dict[str, Direction] = {
        "loss_rec": "min",
        "loss_rec_sym": "min",
        "mlm_acc": "max",
        "mlm_acc_sym": "max",
    }

    def __init__(
        self,
        mem: NeuralTransformerForMEM,
        tokenizer: nn.Module,
        objective: nn.Module,
        *,
        channel_mapper,
        input_scale: float,
        mask_ratio: float,
        symmetric: bool,
        token_budget: int,
    ) -> None:
        super().__init__()
        self.backbone = mem
        self.tokenizer = tokenizer.requires_grad_(False).eval()
        self.objective = objective
        self.channel_mapper = channel_mapper
        self.input_scale = input_scale
        self.mask_ratio = mask_ratio
        self.symmetric = symmetric
        self.token_budget = token_budget
        # never part of the MEM loss (the reference only keeps them for its key layout)
        mem.projection_head.requires_grad_(False)
        mem.student.lm_head.requires_grad_(False)

    def train(self, mode: bool = True) -> MEMPretrainModule:
        super().train(mode)
        self.tokenizer.eval()
        return self

    def _step(self, batch) -> StepOutput:
        inp = to_labram_input(
            batch, self.channel_mapper, scale=self.input_scale, max_patches=ANY_LENGTH
        )
        inp = rechunk(inp, self.token_budget)
        valid = token_valid(inp)
        with torch.no_grad():
            codes = self.tokenizer.encode(inp.x, inp.input_chans, inp.channel_mask)[1]
        b, length = valid.shape
        mask = random_masking(b, length, self.mask_ratio, device=inp.x.device)
        mem = self.backbone
        h = mem.patch_states(inp.x, inp.input_chans, mask, inp.channel_mask)
        sel = mask & valid
        outputs = MaskedTokenOutputs(mem.lm_head(h[sel]), codes[sel])
        if self.symmetric:
            h_sym = mem.patch_states(inp.x, inp.input_chans, ~mask, inp.channel_mask)
            sel_sym = ~mask & valid
            outputs.logits_sym, outputs.targets_sym = mem.lm_head(h_sym[sel_sym]), codes[sel_sym]
        out = self.objective(outputs, batch)
        return StepOutput(out.loss, out.logs)

    def no_weight_decay(self) -> set[str]:
        return super().no_weight_decay() | {"backbone.student.mask_token"}

    def training_step(self, batch) -> StepOutput:
        return self._step(batch)


def build_mem(
    backbone: nn.Module, vocab_size: int, drop_path_rate: float
) -> NeuralTransformerForMEM:
    """A MEM model shaped like `backbone`, starting from its weights (e.g. model.pretrained)."""
    arch = getattr(backbone, "arch", None)
    if arch is None:
        raise ConfigError(
            f"the LaBraM pretrain task needs a labram-* backbone, not {type(backbone).__name__}"
        )
    arch = {k: v for k, v in arch.items() if k != "in_chans"}
    mem = NeuralTransformerForMEM(vocab_size=vocab_size, drop_path_rate=drop_path_rate, **arch)
    shared = {
        k: v for k, v in backbone.state_dict().items() if not k.startswith(("fc_norm.", "head."))
    }
    missing, unexpected = mem.student.load_state_dict(shared, strict=False)
    assert not unexpected, unexpected
    return mem.to(next(backbone.parameters()).device)
