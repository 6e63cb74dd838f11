"""The torch side of the `neurolm` family's stages (imported when a run builds them).

- `TokenizerStage` (`pretrain-tokenizer`): VQAlign's losses + the domain loss of EEG
  features (through gradient reversal, alpha = 2 / (1 + exp(-10 p)) - 1 with p the share
  of training done) + the text-domain loss of a text batch. Evaluation reports codebook
  usage and the domain classifier's balanced accuracy on EEG vs text (near 50% = aligned),
  by argmax and by the probability it gives the true domain (stable near the equilibrium).
- `PretrainStage` (`pretrain`): the LM predicts the frozen tokenizer's code of every
  channel one second ahead under `gpt_mask`, plus the text LM loss; evaluation compares
  its code cross-entropy / accuracy with the unigram baseline of the split's codes.
- `InstructStage` (`instruct`): each window becomes `[SEP] + question + answer` of its
  corpus (`prompts.instruction_for`), loss on the answer tokens only, text LM loss kept;
  evaluation generates greedily (new tokens see no EEG padding, as in training) and
  parses the answer (unparsable = wrong), and scores
  each class by the probability of its answer path for AUROC / AUC-PR.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import neurokit
from neurokit.core.errors import ConfigError, DataError
from neurokit.core.stage import Direction, Evaluation, Stage, StepOutput
from neurokit.core.weights import read_state_dict, sub_state
from neurokit.nn.quantizers import codebook_usage
from neurokit.plugins.models.neurolm.config import (
    VARIANT_CONFIGS,
    NeuroLMConfig,
    NeuroLMVQConfig,
)
from neurokit.plugins.models.neurolm.inputs import NeuroLMInput, to_neurolm_input
from neurokit.plugins.models.neurolm.prompts import (
    IGNORE,
    encode_instruction,
    instruction_for,
    training_text,
)
from neurokit.plugins.models.neurolm.text import TextCorpus, text_encoder
from neurokit.plugins.models.neurolm.tokenizer import spectral_targets

# ------------------------------------------------------------------ shared helpers


def _encoder_path(task_config, context) -> str | None:
    return task_config.gpt2_path or context.config.model.options.get("gpt2_path")


def _corpus(task_config, context, vocab: int) -> TextCorpus | None:
    if not task_config.text_corpus:
        return None
    encoder = text_encoder(_encoder_path(task_config, context))
    return TextCorpus.load(task_config.text_corpus, encoder, vocab)


def total_steps(context) -> int:
    """Optimiser steps of the run (for alpha's progress), from the trainer and data sections."""
    trainer = context.config.trainer.options
    epochs = int(trainer.get("epochs", 1) or 1)
    train = context.datasets.get("train")
    per_epoch = max(1, len(train) // max(1, context.config.data.batch_size)) if train else 1
    per_epoch = max(1, per_epoch // int(trainer.get("accumulate", 1) or 1))
    steps = epochs * per_epoch
    if trainer.get("max_steps"):
        steps = min(steps, int(trainer["max_steps"]))
    return steps


def vq_config_of_run(run_dir: str) -> NeuroLMVQConfig:
    """The tokenizer config of a pretrain-tokenizer run, or of a released VQ.pt file."""
    from neurokit.core.engine.resolve import load_run_config

    if Path(run_dir).expanduser().is_file():
        from neurokit.plugins.models.neurolm.weights import tokenizer_config_from

        return tokenizer_config_from(Path(run_dir).expanduser())
    saved = load_run_config(run_dir)
    task = saved.get("task") or {}
    return NeuroLMVQConfig(**(task.get("tokenizer_options") or {}))


def _state_of(run_dir: str, prefix: str) -> dict[str, torch.Tensor]:
    state = read_state_dict(run_dir)
    if any(k.startswith(prefix) for k in state):
        state = sub_state(state, prefix)
    return state


def frozen_tokenizer(run_dir: str) -> nn.Module:
    """The VQAlign of a pretrain-tokenizer run (or a released VQ.pt), frozen, in eval mode."""
    if Path(run_dir).expanduser().is_file():
        from neurokit.plugins.models.neurolm.weights import released_tokenizer

        return released_tokenizer(Path(run_dir).expanduser()).requires_grad_(False).eval()
    if not Path(run_dir).is_dir():
        raise ConfigError(
            f"task.tokenizer {run_dir!r} is neither a pretrain-tokenizer run directory nor a file"
        )
    vq = neurokit.create("tokenizer", "neurolm-vq", **vq_config_of_run(run_dir).model_dump())
    vq.load_state_dict(_state_of(run_dir, "backbone."))
    return vq.requires_grad_(False).eval()


def lm_options(context, encoder_args, eeg_vocab_size: int) -> dict[str, Any]:
    options = {
        k: v
        for k, v in context.config.model.options.items()
        if k in NeuroLMConfig.model_fields and k not in ("pretrained",)
    }
    options["encoder_args"] = encoder_args
    options["eeg_vocab_size"] = eeg_vocab_size
    return options


def _variant(name: str | None) -> str:
    return name if name in VARIANT_CONFIGS else "neurolm-b"  # the family: its default backbone


def _lm(context, encoder_args, eeg_vocab_size: int) -> nn.Module:
    options = lm_options(context, encoder_args, eeg_vocab_size)
    name = _variant(context.config.model.name)
    built = context.backbone  # the run built it from the model section: reuse when it fits
    if built is not None and hasattr(built, "GPT2"):
        wanted = VARIANT_CONFIGS[name](**options).model_dump(exclude={"pretrained"})
        if built.config.model_dump(exclude={"pretrained"}) == wanted:
            return built
    return neurokit.create("backbone", name, **options)


def kept_logits(lm, inp: NeuroLMInput, y_eeg, mask, x_text=None, y_text=None):
    """(logits, targets) at the positions that have a target only.

    The same loss as the official forward (cross-entropy over every output, mean over the
    kept positions) without the (B, L, 50304 + codes) logits of ignored positions, which
    dominate the cost of instruction tuning (answers are a few tokens of ~100).
    """
    eeg = lm.encode_eeg(inp.x, inp.input_chans, inp.input_time, inp.input_mask)
    eeg_mask, eeg_text_mask = (mask, None) if x_text is None else (None, mask)
    h = lm.GPT2(eeg, None, x_text, None, inp.input_time, eeg_mask, eeg_text_mask, lm_head=False)
    targets = y_eeg + lm.vocab_offset
    if y_text is not None:
        targets = torch.cat((targets, y_text), dim=1)
    keep = targets != IGNORE
    return lm.GPT2.lm_head(h[keep]), targets[keep], keep


# ------------------------------------------------------------------ pretrain-tokenizer


class TokenizerStage(Stage):
    """`pretrain-tokenizer`: VQAlign + text-domain batches, alpha from training progress."""

    metrics: dict[str, Direction] = {
        "rec_freq_loss": "min",
        "rec_raw_loss": "min",
        "quant_loss": "min",
        "domain_loss": "min",
        "domain_accuracy": "min",
        "domain_probability": "min",
        "codebook_usage": "max",
        "codes_used": "max",
        "code_perplexity": "max",
    }

    def __init__(self, vq: nn.Module, corpus: TextCorpus | None, config, steps: int) -> None:
        super().__init__()
        self.backbone = vq
        self.corpus = corpus
        self.text_batch_size = config.text_batch_size
        self.text_length = config.text_length
        self.total = max(1, steps)
        self.register_buffer("steps_done", torch.zeros((), dtype=torch.long))

    @property
    def alpha(self) -> float:
        p = min(1.0, float(self.steps_done) / self.total)
        return 2.0 / (1.0 + math.exp(-10 * p)) - 1.0

    def _eeg(self, batch):
        inp = to_neurolm_input(batch)
        y_freq, y_raw = spectral_targets(inp.x, inp.input_mask)
        return inp, y_freq, y_raw

    def training_step(self, batch) -> StepOutput:
        inp, y_freq, y_raw = self._eeg(batch)
        vq = self.backbone
        loss, domain_loss, log = vq(
            inp.x, y_freq, y_raw, inp.input_chans, inp.input_time, inp.input_mask, self.alpha
        )
        total = loss + domain_loss
        logs = {k.split("/", 1)[1]: v for k, v in log.items()}
        if self.corpus is not None:
            x_text, _ = self.corpus.sample(self.text_batch_size, self.text_length)
            text_loss = vq(x_text.to(inp.x.device))
            total = total + text_loss
            logs["text_domain_loss"] = text_loss.detach()
        self.steps_done += 1
        logs["alpha"] = self.alpha
        return StepOutput(total, logs)

    def evaluation_step(self, batch) -> StepOutput:
        inp, y_freq, y_raw = self._eeg(batch)
        vq = self.backbone
        loss, domain_loss, log = vq(
            inp.x, y_freq, y_raw, inp.input_chans, inp.input_time, inp.input_mask, 0.0
        )
        logs = {k.split("/", 1)[1]: v for k, v in log.items()}
        mask = attention_mask_of(inp)
        _, codes, _, features = vq.VQ.encode(inp.x, inp.input_chans, inp.input_time, mask)
        codes = codes.view(inp.x.shape[:2])
        real = inp.input_mask
        eeg_out = vq.domain_classifier(features)
        eeg_right = (eeg_out.argmax(-1) == 0) & real
        eeg_p = (eeg_out.softmax(-1)[..., 0] * real).sum(1)
        b = len(batch)
        text_right = torch.zeros(b, device=inp.x.device)
        text_p = torch.zeros(b, device=inp.x.device)
        text_n = torch.zeros(b, device=inp.x.device)
        if self.corpus is not None:  # a fixed text sample per batch position: same every eval
            g = torch.Generator().manual_seed(int(real.sum()))
            x_text, _ = self.corpus.sample(b, min(self.text_length, 64), g)
            out = vq.domain_classifier(vq.wte(x_text.to(inp.x.device)))
            text_right = (out.argmax(-1) == 1).float().sum(1)
            text_p = out.softmax(-1)[..., 1].sum(1)
            text_n = torch.full((b,), float(x_text.shape[1]), device=inp.x.device)
        counts = torch.zeros(b, vq.codebook_size, device=inp.x.device)
        counts.scatter_add_(1, codes.clamp_min(0), real.float())
        rows = torch.cat(
            [
                eeg_right.float().sum(1, keepdim=True),
                real.float().sum(1, keepdim=True),
                text_right[:, None],
                text_n[:, None],
                eeg_p[:, None],
                text_p[:, None],
                counts,
            ],
            dim=1,
        )
        return StepOutput(loss + domain_loss, logs, predictions=rows)

    def compute_metrics(self, predictions: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
        if predictions.ndim != 2 or len(predictions) == 0:
            return {}
        sums = predictions.sum(0)
        result = codebook_usage(sums[6:])
        eeg_acc = sums[0] / max(sums[1], 1.0)
        eeg_p = sums[4] / max(sums[1], 1.0)
        result["eeg_domain_accuracy"] = float(eeg_acc)
        if sums[3] > 0:  # balanced over the two domains: 0.5 = the classifier cannot tell
            result["text_domain_accuracy"] = float(sums[2] / sums[3])
            result["domain_accuracy"] = float((eeg_acc + sums[2] / sums[3]) / 2)
            # the same, scored by the probability the classifier gives the true domain: near
            # the equilibrium (p ~ 0.5 everywhere) argmax flips all EEG tokens at once
            # between epochs, the probability does not
            result["domain_probability"] = float((eeg_p + sums[5] / sums[3]) / 2)
        return result


def attention_mask_of(inp: NeuroLMInput):
    from neurokit.plugins.models.neurolm.tokenizer import attention_mask

    return attention_mask(inp.input_mask, inp.x.shape[1])


def shrink_position_embeddings(vq: nn.Module, std: float) -> None:
    """Re-draw the channel / time embeddings of the encoder and both decoders as N(0, std).

    The official draws them N(0, 1) while the patch features start near 0.02 * sqrt(width):
    at a small width and a few hundred steps the tokens then stay position codes (codes
    and features the same for every class), and the decoders ignore the codes.
    """
    with torch.no_grad():
        for net in (vq.encoder, vq.decoder_freq, vq.decoder_raw):
            for emb in (net.pos_embed, net.time_embed):
                emb.weight.normal_(0.0, std)


def build_tokenizer_stage(config, context) -> TokenizerStage:
    options = NeuroLMVQConfig(**config.tokenizer_options).model_dump()
    path = _encoder_path(config, context)
    if options.get("gpt2_path") is None and path and (Path(path) / "model.safetensors").is_file():
        options["gpt2_path"] = path  # the official copies GPT-2's wte; a BPE-only dir has none
    vq = neurokit.create("tokenizer", "neurolm-vq", **options)
    if config.embed_init_std is not None:
        shrink_position_embeddings(vq.VQ, config.embed_init_std)
    corpus = _corpus(config, context, vq.wte.num_embeddings)
    return TokenizerStage(vq, corpus, config, total_steps(context))


# ------------------------------------------------------------------ pretrain


class PretrainStage(Stage):
    """`pretrain`: next-second code prediction over EEG (+ the text LM loss)."""

    metrics: dict[str, Direction] = {
        "code_ce": "min",
        "code_accuracy": "max",
        "unigram_ce": "min",
        "unigram_accuracy": "max",
        "text_loss": "min",
    }
    monitor = "code_ce"

    def __init__(self, lm: nn.Module, vq: nn.Module, corpus, config) -> None:
        super().__init__()
        self.backbone = lm
        self.vq = vq
        self.corpus = corpus
        self.text_batch_size = config.text_batch_size
        self.text_length = min(config.text_length, lm.GPT2.config.block_size)
        self.eeg_max_len = config.eeg_max_len

    def train(self, mode: bool = True) -> PretrainStage:
        super().train(mode)
        self.vq.eval()
        return self

    def _targets(self, inp: NeuroLMInput) -> torch.Tensor:
        """Codes of (t + 1, c) at each token (t, c); -1 - vocab where there is none."""
        with torch.no_grad():
            codes = self.vq.VQ.get_codebook_indices(
                inp.x, inp.input_chans, inp.input_time, inp.input_mask
            )
        y = torch.full_like(codes, -1 - self.backbone.vocab_offset)
        for i, (c, n) in enumerate(zip(inp.n_chans, inp.n_tokens, strict=True)):
            y[i, : n - c] = codes[i, c:n]
        return y

    def _eeg_loss(self, batch):
        inp = to_neurolm_input(batch, self.eeg_max_len)
        y = self._targets(inp)
        logits, targets, keep = kept_logits(self.backbone, inp, y, inp.gpt_mask())
        return F.cross_entropy(logits, targets), logits, targets, keep

    def training_step(self, batch) -> StepOutput:
        loss = self._eeg_loss(batch)[0]
        logs = {"code_loss": loss.detach()}
        if self.corpus is not None:
            x, y = self.corpus.sample(self.text_batch_size, self.text_length)
            text_loss, _, _ = self.backbone(None, None, x.to(loss.device), y.to(loss.device))
            loss = loss + text_loss
            logs["text_loss"] = text_loss.detach()
        return StepOutput(loss, logs)

    def evaluation_step(self, batch) -> StepOutput:
        loss, logits, targets, keep = self._eeg_loss(batch)
        offset = self.backbone.vocab_offset
        code_logits, codes = logits[:, offset:], targets - offset
        ce = F.cross_entropy(code_logits, codes, reduction="none")
        right = (code_logits.argmax(-1) == codes).float()
        sample = keep.nonzero()[:, 0]  # the sample of each kept position
        b, n_codes = len(batch), code_logits.shape[-1]
        rows = torch.zeros(b, 3 + n_codes, device=logits.device)
        rows[:, 0].index_add_(0, sample, ce)
        rows[:, 1].index_add_(0, sample, right)
        rows[:, 2].index_add_(0, sample, torch.ones_like(ce))
        rows.view(-1).index_add_(0, sample * (3 + n_codes) + 3 + codes, torch.ones_like(ce))
        return StepOutput(loss, {}, predictions=rows)

    def compute_metrics(self, predictions: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
        if predictions.ndim != 2 or len(predictions) == 0:
            return {}
        sums = predictions.sum(0)
        n = max(sums[2], 1.0)
        counts = sums[3:]
        prob = counts[counts > 0] / n
        return {
            "code_ce": float(sums[0] / n),
            "code_accuracy": float(sums[1] / n),
            # the best a model ignoring context can do on this split (fit on the split itself)
            "unigram_ce": float(-(prob * np.log(prob)).sum()),
            "unigram_accuracy": float(counts.max() / n),
        }


def build_pretrain_stage(config, context) -> PretrainStage:
    vq = frozen_tokenizer(config.tokenizer)
    enc = vq_config_of_run(config.tokenizer).encoder_args
    lm = _lm(context, enc, vq.codebook_size)
    lm.tokenizer.load_state_dict(vq.VQ.encoder.state_dict())  # the LM embeds EEG with it
    corpus = _corpus(config, context, lm.text_vocab_size)
    return PretrainStage(lm, vq, corpus, config)


# ------------------------------------------------------------------ instruct


def source_offsets(context) -> list[int]:
    """Each source's offset into the run's class indices (as the data layer assigns them)."""
    info = context.data
    sources = info.sources or [context.config.dataset.name]
    specs = context.config.data.sources or []
    spaces: list[str] = []
    keys = []
    for k, name in enumerate(sources):
        names = info.source_classes.get(name) or list(info.class_names)
        space = (specs[k].label_space if k < len(specs) else None) or "|".join(names)
        keys.append((space, len(names)))
        if names and space not in spaces:
            spaces.append(space)
    if len(spaces) <= 1:
        return [0] * len(sources)
    starts, start = {}, 0
    for space in spaces:
        starts[space] = start
        start += next(n for s, n in keys if s == space)
    return [starts.get(s, 0) for s, _ in keys]


class InstructStage(Stage):
    """`instruct`: `[SEP] + question + answer` per window, answer-only loss, parsed answers."""

    metrics: dict[str, Direction] = {
        "accuracy": "max",
        "balanced_accuracy": "max",
        "cohen_kappa": "max",
        "f1_weighted": "max",
        "auroc": "max",
        "auc_pr": "max",
        "unparsed": "min",
        "text_loss": "min",
    }
    monitor = "balanced_accuracy"

    def __init__(self, lm, encoder, corpus, config, sources, instructions, offsets) -> None:
        super().__init__()
        self.backbone = lm
        self.encoder = encoder
        self.corpus = corpus
        self.config = config
        self.sources = sources
        self.instructions = instructions
        self.encoded = [encode_instruction(inst, encoder.encode) for inst in instructions]
        self.offsets = offsets
        for enc in self.encoded:
            training_text(enc, 0, config.text_max_len)  # fail at build if a text is too long
        self.text_length = min(config.text_length, lm.GPT2.config.block_size)

    def _sources(self, batch) -> torch.Tensor:
        src = getattr(batch, "source", None)
        if src is None:
            return torch.zeros(len(batch), dtype=torch.long)
        return src.long().cpu()

    def _local(self, batch, src: torch.Tensor) -> torch.Tensor:
        if batch.label is None:
            raise DataError("instruction tuning needs labelled windows")
        label = batch.label.long().cpu() - torch.tensor(self.offsets)[src]
        return label

    def _prepared(self, batch) -> tuple[NeuroLMInput, torch.Tensor, torch.Tensor]:
        """(official inputs, source per window, class within its source)."""
        src = self._sources(batch)
        return to_neurolm_input(batch, self.config.eeg_max_len), src, self._local(batch, src)

    def _teacher_forced(self, batch, prepared=None) -> torch.Tensor:
        inp, src, label = prepared or self._prepared(batch)
        texts, targets = zip(
            *(
                training_text(self.encoded[s], int(y), self.config.text_max_len)
                for s, y in zip(src.tolist(), label.tolist(), strict=True)
            ),
            strict=True,
        )
        device = inp.x.device
        # the padding after the longest text is never attended (causal) nor a target: cut it
        longest = max(len(self.encoded[s].targets[int(y)]) for s, y in zip(src, label, strict=True))
        x_text = torch.stack(texts)[:, :longest].to(device)
        y_text = torch.stack(targets)[:, :longest].to(device)
        y_eeg = torch.full(inp.input_mask.shape, IGNORE - self.backbone.vocab_offset, device=device)
        mask = inp.gpt_mask(inp.x.shape[1] + x_text.shape[1])
        logits, targets, _ = kept_logits(self.backbone, inp, y_eeg, mask, x_text, y_text)
        return F.cross_entropy(logits, targets)

    def training_step(self, batch) -> StepOutput:
        loss = self._teacher_forced(batch)
        logs = {"answer_loss": loss.detach()}
        weight = self.config.text_loss_weight
        if self.corpus is not None and weight > 0:
            x, y = self.corpus.sample(self.config.text_batch_size, self.text_length)
            text_loss, _, _ = self.backbone(None, None, x.to(loss.device), y.to(loss.device))
            loss = loss + weight * text_loss
            logs["text_loss"] = text_loss.detach()
        return StepOutput(loss, logs)

    @torch.no_grad()
    def _answer(self, inp: NeuroLMInput, rows: list[int], source: int):
        """(parsed classes, class probabilities from the answer paths) of some samples."""
        lm, enc = self.backbone, self.encoded[source]
        device = inp.x.device
        idx = torch.tensor(rows, device=device)
        x, chans, time, real = (
            t[idx] for t in (inp.x, inp.input_chans, inp.input_time, inp.input_mask)
        )
        sub = NeuroLMInput(x, chans, time, real, [inp.n_chans[r] for r in rows], inp.n_times)
        prompt = torch.tensor(enc.prompt, device=device).expand(len(rows), -1)
        eeg_len = x.shape[1]
        # generated tokens see what training showed every text token: EEG padding masked
        # (the official loop's rows of ones let them see it; see generate.py)
        out = lm.generate(
            x, prompt, chans, time, real, eeg_text_mask=sub.gpt_mask(eeg_len + prompt.shape[1]),
            max_new_tokens=self.config.max_new_tokens, new_token_mask="padding",
        )  # fmt: skip
        inst = self.instructions[source]
        parsed = [inst.parse(self.encoder.decode(ids[1:].tolist())) for ids in out]
        scores = []
        vocab = lm.text_vocab_size
        for path in enc.answer_paths:
            text = torch.tensor(enc.prompt + path[:-1], device=device).expand(len(rows), -1)
            y = torch.full_like(text, IGNORE)
            y[:, len(enc.prompt) - 1 :] = torch.tensor(path, device=device)
            y_eeg = torch.full(real.shape, IGNORE - lm.vocab_offset, device=device)
            mask = sub.gpt_mask(eeg_len + text.shape[1])
            logits, _, _ = kept_logits(lm, sub, y_eeg, mask, text, y)
            logp = logits.view(len(rows), len(path), -1)[..., :vocab].float().log_softmax(-1)
            picked = logp.gather(
                -1, torch.tensor(path, device=device).expand(len(rows), -1)[..., None]
            )
            scores.append(picked.squeeze(-1).sum(-1))
        probs = torch.stack(scores, dim=1).softmax(-1)
        return parsed, probs

    def evaluation_step(self, batch) -> StepOutput:
        prepared = self._prepared(batch)
        loss = self._teacher_forced(batch, prepared)
        inp, src, label = prepared
        width = max(len(e.answer_paths) for e in self.encoded)
        rows = torch.zeros(len(batch), 3 + width)
        rows[:, 0], rows[:, 1] = src.float(), label.float()
        for s in src.unique().tolist():
            members = (src == s).nonzero().flatten().tolist()
            parsed, probs = self._answer(inp, members, s)
            rows[members, 2] = torch.tensor(parsed, dtype=torch.float)
            rows[members, 3 : 3 + probs.shape[1]] = probs.cpu()
        return StepOutput(loss, {}, predictions=rows)

    def evaluate(self, evaluation: Evaluation) -> dict[str, Any]:
        loss, count, found = 0.0, 0, []
        for batch, valid in evaluation.batches():
            step = evaluation.step(batch)
            if valid <= 0:
                continue
            loss += float(step.loss) * valid
            count += valid
            found.append(step.predictions[:valid].numpy())
        totals = evaluation.all_reduce_sum({"loss": loss, "count": float(count)})
        rows = evaluation.gather(np.concatenate(found) if found else np.zeros((0, 3)))
        result: dict[str, Any] = {"loss": totals["loss"] / max(totals["count"], 1.0)}
        result.update(self.answer_metrics(rows))
        return result

    def answer_metrics(self, rows: np.ndarray) -> dict[str, Any]:
        """Per corpus `<source>/<metric>` and pooled scores; unparsable answers count as wrong."""
        import warnings

        from sklearn import metrics as skm

        from neurokit.core.engine.metrics import classification_metrics

        result: dict[str, Any] = {}
        balanced, unparsed, right = [], 0, 0
        for s, name in enumerate(self.sources):
            part = rows[rows[:, 0] == s]
            if not len(part):
                continue
            inst = self.instructions[s]
            k = len(inst.answers)
            y, pred = part[:, 1].astype(int), part[:, 2].astype(int)
            labels = list(range(k))
            warnings.filterwarnings("ignore", "y_pred contains classes", UserWarning)
            m = {
                "accuracy": float((pred == y).mean()),
                "balanced_accuracy": float(skm.balanced_accuracy_score(y, pred)),
                "cohen_kappa": float(skm.cohen_kappa_score(y, pred, labels=[*labels, -1])),
                "f1_weighted": float(
                    skm.f1_score(y, pred, average="weighted", labels=labels, zero_division=0)
                ),
                "unparsed": int((pred < 0).sum()),
            }
            if k == 2:  # AUROC / AUC-PR from the answer-path probability of class 1
                scored = classification_metrics(part[:, 4], y, 2)
                m["auroc"], m["auc_pr"] = scored["auroc"], scored["auc_pr"]
            m["cohen_kappa"] = 0.0 if math.isnan(m["cohen_kappa"]) else m["cohen_kappa"]
            result.update({f"{name}/{key}": value for key, value in m.items()})
            balanced.append(m["balanced_accuracy"])
            unparsed += m["unparsed"]
            right += int((pred == y).sum())
        if balanced:
            result["balanced_accuracy"] = float(np.mean(balanced))  # mean over corpora
            result["accuracy"] = right / len(rows)
            result["unparsed"] = unparsed
            for key in ("cohen_kappa", "f1_weighted", "auroc", "auc_pr"):
                vals = [result.get(f"{n}/{key}") for n in self.sources]
                vals = [v for v in vals if v is not None]
                if vals:
                    result[key] = float(np.mean(vals))
        return result


def lm_of_run(run_dir: str, context) -> nn.Module:
    """The LM of a pretrain (or instruct) run, with this run's model options."""
    from neurokit.core.engine.resolve import load_run_config

    if not Path(run_dir).is_dir():
        raise ConfigError(
            f"model.pretrained {run_dir!r} is neither a NeuroLM pretrain run directory nor a file"
        )
    saved = load_run_config(run_dir)
    tokenizer = (saved.get("task") or {}).get("tokenizer")
    if not tokenizer:
        pretrained = (saved.get("model") or {}).get("pretrained")
        if not pretrained:
            raise ConfigError(f"{run_dir!r} is not a NeuroLM pretrain or instruct run")
        if Path(pretrained).expanduser().is_file():  # started from a released file: the
            model = saved["model"]  # run's saved options size its LM
            options = {k: v for k, v in model.items() if k in NeuroLMConfig.model_fields}
            options["pretrained"] = None
            lm = neurokit.create("backbone", _variant(model.get("name")), **options)
            lm.load_state_dict(_state_of(run_dir, "backbone."))
            return lm
        return _lm_from(run_dir, pretrained, context)
    vq = vq_config_of_run(tokenizer)
    lm = _lm(context, vq.encoder_args, vq.n_embed)
    lm.load_state_dict(_state_of(run_dir, "backbone."))
    return lm


def _lm_from(run_dir: str, parent: str, context) -> nn.Module:
    lm = lm_of_run(parent, context)
    lm.load_state_dict(_state_of(run_dir, "backbone."))
    return lm


def build_instruct_stage(config, context) -> InstructStage:
    info = context.data
    if info.label_kind != "class" or not info.class_names:
        raise DataError(
            f"dataset {context.config.dataset.name!r} has no class labels; instruction tuning "
            "needs labelled windows"
        )
    sources = list(info.sources or [context.config.dataset.name])
    instructions = [
        instruction_for(name, info.source_classes.get(name) or info.class_names) for name in sources
    ]
    pretrained = context.config.model.options.get("pretrained")
    # a run directory: the LM it trained; a released file (loaded by the backbone factory)
    # or nothing: the run's own backbone
    from_run = pretrained and not Path(str(pretrained)).expanduser().is_file()
    lm = lm_of_run(str(pretrained), context) if from_run else context.backbone
    encoder = text_encoder(_encoder_path(config, context))
    corpus = _corpus(config, context, lm.text_vocab_size)
    return InstructStage(
        lm, encoder, corpus, config, sources, instructions, source_offsets(context)
    )
