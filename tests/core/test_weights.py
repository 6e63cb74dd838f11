"""The weights service: every file format, run directories, unwrapping, filters, strict loads."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from neurokit.core.errors import DataError, WeightsError
from neurokit.core.weights import load_weights, read_state_dict, sub_state


class Net(nn.Module):
    """An encoder, a classifier head and a persistent buffer: enough to mis-fit in every way."""

    def __init__(self, width: int = 4, classes: int = 3) -> None:
        super().__init__()
        self.encoder = nn.Linear(2, width)
        self.head = nn.Linear(width, classes)
        self.register_buffer("scale", torch.ones(width))


def trained(**kw) -> Net:
    torch.manual_seed(0)
    net = Net(**kw)
    with torch.no_grad():
        for t in net.state_dict().values():
            t.copy_(torch.randn_like(t))
    return net


def assert_same(a: nn.Module, b: nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def _save(path, state, kind):
    if kind == "safetensors":
        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    elif kind == "bare":
        torch.save(state, path)
    elif kind == "model":  # neurokit / reference checkpoint with training state around it
        torch.save({"model": state, "optimizer": {"state": {}}, "epoch": 3}, path)
    elif kind == "lightning":
        torch.save(
            {
                "state_dict": {f"model.{k}": v for k, v in state.items()},
                "epoch": 1,
                "global_step": 10,
                "pytorch-lightning_version": "2.4.0",
            },
            path,
        )


@pytest.mark.parametrize(
    "name, kind",
    [
        ("w.pth", "bare"),
        ("w.pt", "model"),
        ("w.ckpt", "lightning"),
        ("w.safetensors", "safetensors"),
    ],
)
def test_each_file_format_loads_exactly(tmp_path, name, kind):
    source = trained()
    _save(tmp_path / name, source.state_dict(), kind)
    model = Net()
    report = load_weights(model, tmp_path / name)
    assert_same(model, source)
    assert set(report.loaded) == set(source.state_dict())
    assert not (report.missing or report.unexpected or report.filtered)


def test_run_directory_prefers_best_then_last(tmp_path):
    best, last = trained(), Net()
    (tmp_path / "checkpoints").mkdir()
    torch.save(
        {"format": "neurokit-checkpoint", "model": last.state_dict()},
        tmp_path / "checkpoints/last.pt",
    )
    model = Net()
    load_weights(model, tmp_path)
    assert_same(model, last)
    torch.save(
        {"format": "neurokit-checkpoint", "model": best.state_dict()},
        tmp_path / "checkpoints/best.pt",
    )
    load_weights(model, tmp_path)
    assert_same(model, best)
    with pytest.raises(
        WeightsError, match=r"no checkpoint in run directory .*checkpoints/best\.pt"
    ):
        read_state_dict(tmp_path / "checkpoints")


@pytest.mark.parametrize(
    "prefix", ["module.", "_orig_mod.", "module._orig_mod.", "model.", "backbone."]
)
def test_wrapper_prefix_on_every_key_is_removed(tmp_path, prefix):
    source = trained()
    torch.save({f"{prefix}{k}": v for k, v in source.state_dict().items()}, tmp_path / "w.pt")
    model = Net()
    load_weights(model, tmp_path / "w.pt")
    assert_same(model, source)


def test_a_prefix_on_some_keys_is_left_to_the_filter(tmp_path):
    """A task checkpoint (`backbone.*` next to `objective.*`) is not guessed at: it fails unless
    a filter takes its part, and a filter that does loads it."""
    source = trained()
    state = {f"backbone.{k}": v for k, v in source.state_dict().items()}
    state["objective.weight"] = torch.ones(3)
    torch.save({"model": state}, tmp_path / "task.pt")
    with pytest.raises(
        WeightsError, match=r"unexpected \(6\): .*backbone\.encoder\.weight.*objective\.weight"
    ):
        load_weights(Net(), tmp_path / "task.pt")
    model = Net()
    report = load_weights(
        model, tmp_path / "task.pt", filter_fn=lambda s, m: sub_state(s, "backbone.")
    )
    assert_same(model, source)
    assert "objective.weight" in report.filtered


def test_a_model_whose_own_keys_share_a_wrapper_prefix_keeps_them(tmp_path):
    class Wrapper(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = Net()

    source = Wrapper()
    torch.save(source.state_dict(), tmp_path / "w.pt")  # every key starts with `model.`
    target = Wrapper()
    load_weights(target, tmp_path / "w.pt")
    assert_same(target, source)


def test_the_family_filter_renames_and_drops(tmp_path):
    source = trained()
    state = {k.replace("encoder.", "stem."): v for k, v in source.state_dict().items()}
    state["stem.relative_position_index"] = torch.zeros(2, dtype=torch.long)
    torch.save(state, tmp_path / "old.pth")
    seen = {}

    def old_layout(sd, model):
        seen["model"] = model
        return {
            k.replace("stem.", "encoder."): v
            for k, v in sd.items()
            if not k.endswith("relative_position_index")
        }

    model = Net()
    report = load_weights(model, tmp_path / "old.pth", filter_fn=old_layout)
    assert seen["model"] is model
    assert_same(model, source)
    assert "stem.relative_position_index" in report.filtered


def test_allow_lists_are_honoured_and_reported(tmp_path):
    source = trained()
    state = {k: v for k, v in source.state_dict().items() if not k.startswith("head.")}
    state["blocks.0.attn.relative_position_index"] = torch.zeros(2, dtype=torch.long)
    torch.save(state, tmp_path / "backbone.pth")
    model = Net()
    fresh_head = model.head.weight.detach().clone()
    with pytest.raises(WeightsError) as info:
        load_weights(model, tmp_path / "backbone.pth")
    assert "head.weight" in str(info.value) and "relative_position_index" in str(info.value)
    report = load_weights(
        model,
        tmp_path / "backbone.pth",
        allow_missing=["head.*"],
        allow_unexpected=["*.relative_position_index"],
    )
    assert torch.equal(model.head.weight, fresh_head)  # kept as initialised
    assert torch.equal(model.encoder.weight, source.encoder.weight)
    assert report.missing == ("head.weight", "head.bias")
    assert report.unexpected == ("blocks.0.attn.relative_position_index",)
    assert "kept 2 as initialised" in report.summary()
    # an allow-list never excuses a shape: the wrong-width encoder still fails
    torch.save(trained(width=5).state_dict(), tmp_path / "wide.pth")
    with pytest.raises(WeightsError, match="shape mismatch"):
        load_weights(Net(), tmp_path / "wide.pth", allow_missing=["*"], allow_unexpected=["*"])


def test_one_error_names_the_file_and_every_kind_of_mismatch(tmp_path):
    state = dict(trained().state_dict())
    del state["scale"]
    state["head.weight"] = torch.zeros(7, 4)
    state["stray.bias"] = torch.zeros(1)
    path = tmp_path / "odd.pth"
    torch.save(state, path)
    model = Net()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(WeightsError) as info:
        load_weights(model, path)
    message = str(info.value)
    assert isinstance(info.value, DataError)
    assert str(path) in message and "does not fit Net" in message
    assert "missing (1): scale" in message
    assert "unexpected (1): stray.bias" in message
    assert "head.weight (7, 4) vs (3, 4)" in message
    # a failed load changes nothing
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_huge_key_lists_are_truncated_with_a_count(tmp_path):
    state = {f"layer.{i}.weight": torch.zeros(1) for i in range(500)}
    with pytest.raises(WeightsError) as info:
        load_weights(Net(), state, name="huge.pt")
    message = str(info.value)
    assert "'huge.pt'" in message and "unexpected (500): layer.0.weight" in message
    assert "(+488 more)" in message and "layer.499.weight" not in message
    assert len(message) < 1000


class Thing:  # a pickled object is not weights: weights_only must refuse it
    pass


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("notes.pth", b"this is not a checkpoint", "as torch .*: not a torch checkpoint"),
        ("empty.pt", b"", "the file is empty"),
        ("bad.safetensors", b"\x00" * 16, "cannot read weights from .* as safetensors"),
    ],
)
def test_a_file_that_is_not_a_checkpoint_is_a_clear_error(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(WeightsError, match=match):
        load_weights(Net(), path)


def test_a_torch_file_without_tensors_and_a_missing_file_are_clear_errors(tmp_path):
    torch.save({"model": Thing()}, tmp_path / "object.pt")
    with pytest.raises(WeightsError, match=r"pickles a Python object \(.*Thing\)"):
        read_state_dict(tmp_path / "object.pt")
    torch.save(trained().state_dict(), tmp_path / "torch.safetensors")
    with pytest.raises(WeightsError, match=r"a torch checkpoint, not safetensors \(name it \.pt\)"):
        read_state_dict(tmp_path / "torch.safetensors")
    torch.save({"epoch": 3, "config": {"lr": 1e-3}}, tmp_path / "meta.pt")
    with pytest.raises(WeightsError, match=r"meta\.pt' holds no state dict of tensors.*epoch"):
        read_state_dict(tmp_path / "meta.pt")
    with pytest.raises(WeightsError, match="does not exist"):
        read_state_dict(tmp_path / "nope.pth")


def test_a_filter_verdict_names_the_file(tmp_path):
    torch.save(trained().state_dict(), tmp_path / "w.pt")

    def refuse(sd, model):
        raise WeightsError("no FooNet weights in the checkpoint")

    with pytest.raises(WeightsError, match=r"w\.pt': no FooNet weights"):
        load_weights(Net(), tmp_path / "w.pt", filter_fn=refuse)
