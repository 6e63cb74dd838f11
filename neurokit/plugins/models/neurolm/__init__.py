"""NeuroLM (Jiang et al., ICLR 2025): EEG as a foreign language for GPT-2.

Tokenizer `neurolm-vq` (the text-aligned VQ, official `VQ_Align`) and backbones
`neurolm-b`, `neurolm-l`, `neurolm-xl` (the language model initialised from GPT-2,
GPT-2-medium, GPT-2-XL) with the official module tree, state-dict keys, constructor
arguments, call signatures and parameter counts. Torch is imported only when built.

    >>> tok = neurokit.create("tokenizer", "neurolm-vq")                   # doctest: +SKIP
    >>> loss, domain_loss, log = tok(x, y_freq, y_raw, chans, times, mask, alpha)
    >>> lm = neurokit.create("backbone", "neurolm-b", gpt2_path="~/gpt2")   # doctest: +SKIP
    >>> text = lm.generate(x_eeg, x_text, chans, times, mask, eeg_text_mask=m, max_new_tokens=5)
"""

from __future__ import annotations

from neurokit import hookimpl
from neurokit.plugins.models.neurolm.config import (
    NeuroLMConfig,
    NeuroLMLConfig,
    NeuroLMVQConfig,
    NeuroLMXLConfig,
    NTArgs,
)

__all__ = ["NTArgs", "NeuroLMConfig", "NeuroLMLConfig", "NeuroLMVQConfig", "NeuroLMXLConfig"]


def build_vq(config: NeuroLMVQConfig):
    """NeuroLM text-aligned VQ tokenizer (VQ_Align)."""
    from neurokit.plugins.models.neurolm.tokenizer import VQAlign

    return VQAlign.from_config(config)


def build_lm(config: NeuroLMConfig):
    """NeuroLM language model (GPT-2 over EEG features and text)."""
    from neurokit.plugins.models.neurolm.model import build_lm as build

    return build(config)


@hookimpl
def register_tokenizers(register):
    register(
        "neurolm-vq",
        build_vq,
        config=NeuroLMVQConfig,
        description="NeuroLM text-aligned VQ (8192 x 128 codes, freq/raw decoders, domain classifier), 200 Hz",
    )


@hookimpl
def register_backbones(register):
    register(
        "neurolm-b",
        build_lm,
        config=NeuroLMConfig,
        description="NeuroLM-B (255M): GPT-2 over frozen VQ-encoder EEG features and text",
    )
    register(
        "neurolm-l",
        build_lm,
        config=NeuroLMLConfig,
        description="NeuroLM-L (501M): GPT-2-medium over EEG features and text",
    )
    register(
        "neurolm-xl",
        build_lm,
        config=NeuroLMXLConfig,
        description="NeuroLM-XL (1.7B): GPT-2-XL over EEG features and text",
    )


@hookimpl
def register_models(register):
    from neurokit.plugins.models.neurolm.family import NEUROLM

    register("neurolm", NEUROLM)


@hookimpl
def register_tasks(register):
    from neurokit.plugins.models.neurolm.family import (
        InstructTask,
        InstructTaskConfig,
        PretrainTask,
        PretrainTaskConfig,
        TokenizerTask,
        TokenizerTaskConfig,
    )

    register("neurolm-tokenizer", TokenizerTask, config=TokenizerTaskConfig)
    register("neurolm-pretrain", PretrainTask, config=PretrainTaskConfig)
    register("neurolm-instruct", InstructTask, config=InstructTaskConfig)
