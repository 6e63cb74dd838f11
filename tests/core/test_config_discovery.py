"""Configuration that can be discovered: every key described, one knob per value."""

from __future__ import annotations

import yaml

from tests.engine.test_cli import failure, invoke


def test_print_config_describe_comments_every_data_and_top_level_key():
    plain = invoke("train", "--model", "tiny", "--dataset", "demo", "--print-config")
    described = invoke(
        "train", "--model", "tiny", "--dataset", "demo", "--print-config", "--describe"
    )
    assert plain.exit_code == 0 and described.exit_code == 0, described.stderr
    assert yaml.safe_load(described.stdout) == yaml.safe_load(plain.stdout)
    lines = {line.split(":")[0].strip(): line for line in described.stdout.splitlines()}
    for key in ("seed", "data_root", "output_dir", "store", "window_seconds", "batch_size",
                "split", "lr", "epochs"):  # fmt: skip
        assert "  # " in lines[key], lines[key]
    assert "# store path or fsspec URL" in lines["store"]
    assert "# seed for python, numpy and torch" in lines["seed"]


def test_task_pretrained_is_refused_for_a_model_with_its_own_pretrained_key(tmp_path):
    message = failure(
        "train", "--model", "labram", "--dataset", "demo", "--print-config",
        "--set", "task.pretrained=w.pt", code=2,
    )  # fmt: skip
    assert "task.pretrained" in message and "--set model.pretrained=w.pt" in message
    # a bare backbone without model.pretrained keeps task.pretrained as its one knob
    fine = invoke(
        "train", "--model", "tiny", "--dataset", "demo", "--print-config",
        "--set", "task.pretrained=w.pt",
    )  # fmt: skip
    assert fine.exit_code == 0, fine.stderr
    assert yaml.safe_load(fine.stdout)["task"]["pretrained"] == "w.pt"
