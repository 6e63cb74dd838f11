"""`neurokit store export-braindecode` / `import-braindecode` from the CLI (no braindecode needed)."""

from __future__ import annotations

import json

import numpy as np

from tests.conftest import assert_clean_failure
from tests.data.conftest import build_store, fake_recording


def test_cli_round_trip_and_clear_errors(tmp_path, cli):
    recs = [fake_recording(f"r{i}", ["FP1", "CZ"], seconds=5, label=i % 2) for i in range(2)]
    build_store(tmp_path / "s.zarr", recs)
    out = tmp_path / "bd.zarr"
    result = cli("store", "export-braindecode", str(tmp_path / "s.zarr"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "wrote 2 recordings (0 windows) as braindecode RawDataset Zarr" in result.stdout
    root = json.loads((out / "zarr.json").read_text())["attributes"]
    assert root["n_datasets"] == 2 and root["dataset_type"] == "RawDataset"
    from neurokit.core.data.braindecode_zarr import import_braindecode

    assert import_braindecode(out, tmp_path / "b.zarr").recordings == 2
    from neurokit.core.data.store import Store

    back, orig = Store(tmp_path / "b.zarr"), Store(tmp_path / "s.zarr")
    np.testing.assert_allclose(back.read("recording_1"), orig.read("r1"), rtol=1e-5)
    assert back.recordings["recording_1"].label == 1 and back.class_names == ["0", "1"]
    assert_clean_failure(
        cli("store", "import-braindecode", str(tmp_path), "--out", str(tmp_path / "c.zarr")),
        "not a braindecode Zarr dataset",
    )
