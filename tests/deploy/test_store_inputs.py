"""`neurokit predict` on a store: event windows as evaluation cuts them, and the store's
preprocessing record checked against the run's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurokit.core.data.schema import StoreSchema
from neurokit.core.data.store import open_store
from neurokit.core.data.writer import StoreWriter
from neurokit.core.interfaces import Event, Recording, RecordingSource
from neurokit.deploy.predict import read_table
from tests.deploy.test_predict import _evaluation_probabilities
from tests.engine.test_cli import failure, invoke


def copy_store(source: Path, out: Path, events: bool = False, **preprocessing) -> Path:
    """`source` rewritten, with its preprocessing record changed by `preprocessing`; with
    `events`, each recording holds events of uneven lengths at uneven places (one reaching
    past the end, where evaluation wraps) instead of a recording label."""
    src = open_store(source)
    schema = src.schema
    writer = StoreWriter(out)
    writer.create(
        StoreSchema(
            dataset=schema.dataset, sfreq=schema.sfreq, dtype=schema.dtype,
            preprocessing={**schema.preprocessing, **preprocessing},
            class_names=list(schema.class_names),
            label_kind="events" if events else schema.label_kind,
            dataset_config=schema.dataset_config,
        )
    )  # fmt: skip
    for k, meta in enumerate(src.recordings.values()):
        data = np.asarray(src.read(meta.id), dtype=np.float32)
        n = data.shape[1]
        found = []
        if events:  # starts and lengths off any 2-s grid
            spans = [(130, 300), (725, 500), (1390, 400), (n - 150, 400)]
            found = [Event(s, length, (i + k) % 2) for i, (s, length) in enumerate(spans)]
        rec = RecordingSource(
            Path(meta.source), meta.id, meta.subject, meta.session, meta.split,
            None if events else meta.label, dict(meta.extra),
        )  # fmt: skip
        writer.write(Recording(rec, data, list(meta.channel_names), meta.sfreq, found))
    writer.finalize()
    return out


@pytest.fixture(scope="module")
def event_run(demo, tmp_path_factory):
    from tests.deploy.conftest import train_run

    root = tmp_path_factory.mktemp("events")
    store = copy_store(demo["store"], root / "events.zarr", events=True)
    return train_run("tiny", store, root / "runs"), store


def test_an_event_store_is_cut_at_its_events_as_evaluation_cuts_it(event_run, tmp_path):
    run, store = event_run
    test = [m for m in open_store(store).recordings.values() if m.split == "test"]
    out = tmp_path / "p.csv"
    result = invoke("predict", str(run), "--input", str(store), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    table = read_table(out)
    names = open_store(store).schema.class_names
    for meta in test:
        starts, expected = _evaluation_probabilities(run, meta.id)
        rows = [i for i, r in enumerate(table["recording"]) if r == meta.id]
        got_starts = np.array([float(table["start_s"][i]) for i in rows]) * 200
        np.testing.assert_allclose(got_starts, starts)  # not the 2-s grid of sliding windows
        assert len(rows) == 4 and sorted(got_starts % 400) != [0.0] * 4
        got = np.array([float(table["prob_abnormal"][i]) for i in rows])
        np.testing.assert_allclose(got, expected, atol=1e-5)
        labels = [e[2] for e in open_store(store).events(meta.id)]
        assert [table["true_label"][i] for i in rows] == [names[int(y)] for y in labels]


def test_a_store_prepared_differently_is_refused_naming_the_fields(tiny_run, demo, tmp_path):
    other = copy_store(demo["store"], tmp_path / "other.zarr", notch=60.0, l_freq=0.5)
    out = tmp_path / "p.csv"
    message = failure("predict", str(tiny_run), "--input", str(other), "--out", str(out))
    assert "prepared differently" in message
    assert "notch (run 50.0, store 60.0)" in message and "l_freq (run" in message
    assert "h_freq" not in message and "--allow-profile-mismatch" in message
    assert not out.exists()
    args = ("--input", str(other), "--out", str(out), "--allow-profile-mismatch")
    result = invoke("predict", str(tiny_run), *args)
    assert result.exit_code == 0, result.stderr
    same = copy_store(demo["store"], tmp_path / "same.zarr")  # the same record: accepted
    assert invoke("predict", str(tiny_run), "--input", str(same), "--out", str(out)).exit_code == 0
