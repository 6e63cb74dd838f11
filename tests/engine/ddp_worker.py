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
        units = [module.backbone.features] if strategy == "fsdp" else []
        module.fsdp_units = lambda: units  # the stage's FSDP units are what gets sharded
        trainer.fit(module, context)
        if units:
            from torch.distributed.fsdp import FSDPModule

            assert all(isinstance(unit, FSDPModule) for unit in units), "fsdp_units not sharded"
            assert not isinstance(module.backbone.head, FSDPModule)
    finally:
        distributed.destroy()
    print(f"rank {info.rank} done")


if __name__ == "__main__":
    main()
