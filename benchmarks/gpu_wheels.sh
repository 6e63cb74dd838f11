#!/usr/bin/env bash
# Wheels for running benchmarks/gpu_check.py on the lent-GPU machine (no network there; its image has
# torch, numpy, scipy, h5py, click, pluggy, rich, pyyaml, fsspec, matplotlib, scikit-learn,
# safetensors, pytest and pytest-xdist, but not the packages below). Run here, in the repo root:
#     bash benchmarks/gpu_wheels.sh
# It fills .whl/ (git-ignored through .git/info/exclude) with neurokit's own wheel and, at the
# versions installed in this environment (what the fast suite ran with), every dependency the
# image lacks, for CPython 3.12 on x86-64. Then call the device tool as gpu_check.py's docstring says.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
exclude="$(git rev-parse --git-path info/exclude)"
mkdir -p "$(dirname "$exclude")"
grep -qx '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >>"$exclude"
rm -rf .whl && mkdir .whl
missing="pydantic pydantic-core annotated-types typing-inspection typing-extensions zarr numcodecs
donfig google-crc32c mne pooch decorator platformdirs torch-ema edfio mne-bids"
pins=$(python - $missing <<'PY'
import sys
from importlib.metadata import version
print(" ".join(f"{name}=={version(name)}" for name in sys.argv[1:]))
PY
)
python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux1_x86_64 -d .whl $pins
python -m pip wheel -q --no-deps --no-build-isolation -w .whl .
ls .whl
du -sh .whl
