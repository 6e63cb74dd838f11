"""A store that does not fit the model is said before any work, with the commands that fix it."""

from __future__ import annotations

from neurokit.core.engine import run as run_module
from tests.engine.synthetic import write_store
from tests.engine.test_cli import FAST, failure, invoke


def test_a_store_in_another_rate_is_refused_with_the_prepare_and_store_commands(store, tmp_path):
    message = failure(
        "train", "--model", "labram", "--set", f"data.store={store}",
        "--set", f"data_root={tmp_path}", "--set", "trainer.progress=false",
    )  # fmt: skip
    assert "needs 200 Hz" in message and "64 Hz" in message
    fixed = tmp_path / "synthetic-labram.zarr"
    assert f"neurokit prepare synthetic --raw DIR --profile labram --out {fixed}" in message
    assert f"--set data.store={fixed}" in message
    assert not (tmp_path / "runs").exists()


def test_a_store_in_another_profile_is_said_before_training(tmp_path):
    # a 64-Hz referential store (prepared for LaBraM-like models) given to LUNA
    store = write_store(
        tmp_path / "ref.zarr", preprocessing={"montage": "referential", "sfreq": 64.0}
    )
    result = invoke(
        "train", "--model", "luna", "--set", f"data.store={store}",
        "--set", f"data_root={tmp_path}", "--set", f"output_dir={tmp_path}/runs",
        "--set", "trainer.stop_after_steps=1", "--set", "model.depth=1",
        *FAST[:6],
    )  # fmt: skip
    text = " ".join(result.output.split())
    assert "expects its 'luna' profile (256 Hz, tcp)" in text, text
    assert "64 Hz, referential" in text
    assert f"--profile luna --out {tmp_path}/synthetic-luna.zarr" in text
    assert f"--set data.store={tmp_path}/synthetic-luna.zarr" in text
    # said before training: the run ends after its planned single step
    assert text.index("expects its 'luna' profile") < text.index("planned stop")


def test_a_matching_store_says_nothing(tmp_path):
    from neurokit.core.config import RunConfig
    from neurokit.core.data.store import open_store
    from neurokit.core.engine.data import profile_mismatch

    store = write_store(tmp_path / "tcp.zarr", preprocessing={"montage": "tcp", "sfreq": 256.0})
    config = RunConfig.model_validate({"model": {"name": "luna"}, "data": {"store": str(store)}})
    assert profile_mismatch(config, open_store(str(store))) is None
    other = RunConfig.model_validate({"model": {"name": "labram"}, "data": {"store": str(store)}})
    assert "'labram' profile (200 Hz, referential)" in profile_mismatch(
        other, open_store(str(store))
    )


def test_only_the_embedded_demo_is_prepared_on_demand(tmp_path, monkeypatch):
    from neurokit.core.config import RunConfig
    from neurokit.core.data import prepare as prepare_module

    calls = []
    monkeypatch.setattr(
        prepare_module,
        "prepare",
        lambda name, raw, out=None, profile=None: (
            calls.append((name, raw, out, profile))
            or prepare_module.PrepareSummary(dataset=name, store=out, found=0, present=0, workers=1)
        ),
    )
    events = []
    for dataset in ("demo", "tuab"):
        config = RunConfig.model_validate(
            {"model": {"name": "luna"}, "dataset": {"name": dataset}, "data_root": str(tmp_path)}
        )
        run_module._prepare_embedded(config, lambda e, d: events.append((e, d)))
    assert calls == [("demo", None, str(tmp_path / "demo.zarr"), "luna")]
    assert [e for e, _ in events] == ["prepare", "prepared"]
