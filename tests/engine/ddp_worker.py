"""One rank of the 2-process tests: `python -m tests.engine.ddp_worker RUN_DIR BATCH_SIZE [STRATEGY]`."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from neurokit.core.engine import distributed
from tests.engine.synthetic import build


def main() -> None:
    torch.set_num_threads(1)
    run_dir, batch_size = Path(sys.argv[1]), int(sys.argv[2])
    strategy = sys.argv[3] if len(sys.argv) > 3 else "auto"
    info = distributed.init_from_env("cpu")
    try:
        module, context, trainer = build(
            run_dir, batch_size=batch_size, dropout=0.0, epochs=2, strategy=strategy
        )
        trainer.fit(module, context)
    finally:
        distributed.destroy()
    print(f"rank {info.rank} done")


if __name__ == "__main__":
    main()
