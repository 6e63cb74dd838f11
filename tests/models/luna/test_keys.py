"""State-dict keys and shapes against the official LUNA (list dumped from the reference code)."""

from __future__ import annotations

from pathlib import Path

import pytest

import neurokit

OFFICIAL = Path(__file__).with_name("official_keys_base.txt")


def official_keys(form: str) -> dict[str, tuple[int, ...]]:
    keys = {}
    for line in OFFICIAL.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        where, key, *shape = line.split(" ")
        if where in ("both", form):
            keys[key] = tuple(int(n) for n in shape[0].split("x")) if shape and shape[0] else ()
    return keys


def own_keys(model) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.parametrize(("num_classes", "form"), [(2, "classifier"), (0, "pretrain")])
def test_base_keys_and_shapes_match_official(num_classes, form):
    model = neurokit.create("backbone", "luna-base", num_classes=num_classes)
    expected = official_keys(form)
    assert own_keys(model) == expected
    assert "cross_attn.temparature" in expected  # the official spelling is kept


def test_parameter_counts_match_official():
    # measured on the official module: 7,101,499 (2 classes) / 6,672,417 (pretraining form)
    assert (
        sum(p.numel() for p in neurokit.create("backbone", "luna-base", num_classes=2).parameters())
        == 7_101_499
    )
    assert (
        sum(p.numel() for p in neurokit.create("backbone", "luna-base").parameters()) == 6_672_417
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "classifier", "pretrain", "tensors"),
    [
        ("luna-large", 43_113_579, 40_660_337, 238),
        ("luna-huge", 311_812_667, 303_769_569, 448),
    ],
)
def test_large_and_huge_sizes_match_official(name, classifier, pretrain, tensors):
    model = neurokit.create("backbone", name, num_classes=2)
    assert sum(p.numel() for p in model.parameters()) == classifier
    assert len(model.state_dict()) == tensors
    model.reset_classifier(0)
    assert sum(p.numel() for p in model.parameters()) == pretrain


def test_reset_classifier_switches_forms():
    model = neurokit.create("backbone", "luna-base", num_classes=0)
    model.reset_classifier(4)
    assert own_keys(model) == {
        **official_keys("classifier"),
        "classifier.decoder_ffn.fc2.weight": (4, 1024),
        "classifier.decoder_ffn.fc2.bias": (4,),
    }
    assert not model.mask_token.requires_grad  # frozen for classification, as the reference
    model.reset_classifier(0)
    assert own_keys(model) == official_keys("pretrain")
