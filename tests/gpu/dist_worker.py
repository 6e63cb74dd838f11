"""One process of the 1-process distributed GPU tests: `python -m tests.gpu.dist_worker STRATEGY OUT`.

Trains a 2-block LaBraM for a few AdamW steps twice from the same seed and batches: plain, and
wrapped as the trainer wraps it under torchrun (DDP, or FSDP2 `fully_shard` per block then the
root) in a process group of world size 1 (NCCL on CUDA, gloo on CPU). Writes the backend, the
losses and the largest parameter difference as JSON. The trainer itself only wraps when
WORLD_SIZE > 1, and two NCCL ranks cannot share one GPU, so this is the one-GPU check of the
collective and wrapping layer.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace

import torch
import torch.distributed as dist
import torch.nn.functional as F

from tests.helpers import make_batch

NAMES = ["FP1", "FP2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2"]
STEPS = 4


def batches(device: torch.device) -> list:
    """One labelled batch, STEPS times: memorising it makes the loss fall."""
    batch = make_batch([NAMES] * 8, seconds=2.0, sfreq=200.0, seed=0)
    label = torch.tensor([i % 2 for i in range(8)])
    return [replace(batch, label=label).to(device)] * STEPS


def model(device: torch.device):
    import neurokit

    torch.manual_seed(0)
    net = neurokit.create_model("labram-base", depth=2, drop_path_rate=0.0, num_classes=2)
    return net.to(device).train()


def train(net, data, device: torch.device) -> list[float]:
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3)
    dtype = torch.bfloat16 if device.type == "cuda" else None
    losses = []
    for batch in data:
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            logits = net(batch)
        loss = F.cross_entropy(logits.float(), batch.label)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss))
    return losses


class Logits(torch.nn.Module):
    """forward(batch) -> logits, the one forward DDP/FSDP hook into (the trainer's StepModule)."""

    def __init__(self, backbone) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, batch):
        return self.backbone.forward_batch(batch).extras["logits"]


def full(tensor: torch.Tensor) -> torch.Tensor:
    return (tensor.full_tensor() if hasattr(tensor, "full_tensor") else tensor).detach().float()


def main() -> None:
    strategy, out = sys.argv[1], sys.argv[2]
    cuda = torch.cuda.is_available()
    device = torch.device("cuda", 0) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if cuda else "gloo", rank=0, world_size=1)
    try:
        data = batches(device)
        reference = Logits(model(device))
        ref_losses = train(reference, data, device)
        wrapped_inner = Logits(model(device))
        if strategy == "ddp":
            from torch.nn.parallel import DistributedDataParallel as DDP

            wrapped = DDP(wrapped_inner, device_ids=[0] if cuda else None)
        else:
            from torch.distributed.device_mesh import init_device_mesh
            from torch.distributed.fsdp import fully_shard

            mesh = init_device_mesh(device.type, (1,))
            for block in wrapped_inner.backbone.blocks:
                fully_shard(block, mesh=mesh)
            wrapped = fully_shard(wrapped_inner, mesh=mesh)
        losses = train(wrapped, data, device)
        # a real collective on the group: the sum over one rank is the value itself
        probe = torch.arange(4.0, device=device)
        dist.all_reduce(probe)
        diff = max(
            float((full(a) - full(b)).abs().max())
            for a, b in zip(reference.parameters(), wrapped_inner.parameters(), strict=True)
        )
        result = {
            "backend": dist.get_backend(),
            "device": str(device),
            "strategy": strategy,
            "reference_losses": ref_losses,
            "losses": losses,
            "max_param_diff": diff,
            "all_reduce": probe.tolist(),
            "sharded": any(hasattr(p, "full_tensor") for p in wrapped_inner.parameters()),
        }
    finally:
        dist.destroy_process_group()
    with open(out, "w") as handle:
        json.dump(result, handle)
    print(json.dumps({k: result[k] for k in ("backend", "strategy", "max_param_diff")}))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    main()
