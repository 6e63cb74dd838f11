"""ephys_gpt forecasters for MEG (Csaky et al., brain-forecast): mu-law tokens, GPTs, WaveNet.

Backbones `gpt2meg`, `stgpt2meg`, `wavenet-fullchannel` take the official config field
names (an official model YAML validates as it is) and keep the official key names, call
signatures and output convention (logits (B, C, T, V), step t predicting t+1); the
tokenizer `mulaw` has the official rounding and clamping. Torch is imported only when
something is built.

    >>> model = neurokit.create("backbone", "gpt2meg", num_channels=4)       # doctest: +SKIP
    >>> logits = model(codes)                                                # official call
    >>> from neurokit.plugins.models.forecast.generate import generate       # KV cache
"""

from __future__ import annotations

from neurokit import hookimpl
from neurokit.plugins.models.forecast.config import (
    GPT2MEGConfig,
    MuLawConfig,
    STGPT2MEGConfig,
    WavenetFullChannelConfig,
)


def _maybe_load(model, pretrained):
    if pretrained:
        from neurokit.plugins.models.forecast.weights import load_weights

        load_weights(model, pretrained)
    return model


def build_gpt2meg(config: GPT2MEGConfig):
    """GPT2MEG (22M): GPT-2 over mu-law tokens with channel embeddings, channels in the batch."""
    from neurokit.plugins.models.forecast.model import GPT2MEG

    model = GPT2MEG(
        config.num_channels,
        config.gpt2_config,
        config.embedding_args,
        num_classes=config.num_classes,
        channel_names=config.channel_names,
    )
    return _maybe_load(model, config.pretrained)


def build_stgpt2meg(config: STGPT2MEGConfig):
    """STGPT2MEG (13M): causal attention over time, full attention over channels, per block."""
    from neurokit.plugins.models.forecast.model import STGPT2MEG

    model = STGPT2MEG(
        config.num_channels,
        config.vocab_size,
        config.d_model,
        config.layers,
        config.trf_args,
        config.embedding_args,
        config.trf_block,
        num_classes=config.num_classes,
        channel_names=config.channel_names,
        context=config.context,
    )
    return _maybe_load(model, config.pretrained)


def build_wavenet(config: WavenetFullChannelConfig):
    """WavenetFullChannel (2.4M): per-channel token tables, shared gated dilated conv layers."""
    from neurokit.plugins.models.forecast.model import WavenetFullChannel

    fields = config.model_dump(exclude={"pretrained"})
    return _maybe_load(WavenetFullChannel(**fields), config.pretrained)


def build_mulaw(config: MuLawConfig):
    """mu-law tokenizer (256 or 512 levels) with ephys_gpt's rounding and clamping."""
    from neurokit.plugins.models.forecast.tokenizer import build_mulaw as build

    return build(config)


@hookimpl
def register_backbones(register):
    register("gpt2meg", build_gpt2meg, config=GPT2MEGConfig)
    register("stgpt2meg", build_stgpt2meg, config=STGPT2MEGConfig)
    register("wavenet-fullchannel", build_wavenet, config=WavenetFullChannelConfig)


@hookimpl
def register_tokenizers(register):
    register("mulaw", build_mulaw, config=MuLawConfig)


@hookimpl
def register_tasks(register):
    from neurokit.plugins.models.forecast.family import (
        ForecastFinetuneConfig,
        ForecastFinetuneTask,
        ForecastPretrainConfig,
        ForecastPretrainTask,
    )

    # `--model forecast --task pretrain|finetune` reaches them through the family.
    register("forecast-pretrain", ForecastPretrainTask, config=ForecastPretrainConfig)
    register("forecast-finetune", ForecastFinetuneTask, config=ForecastFinetuneConfig)


@hookimpl
def register_models(register):
    from neurokit.plugins.models.forecast.family import FORECAST

    register("forecast", FORECAST)
