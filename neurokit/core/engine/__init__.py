"""The training engine: one trainer for every task, run directories, exact resume.

Modules: `trainer` (the loop over a Stage), `config` (its options), `selection` (the
new-best rule shared by selection and early stopping), `params` (AdamW groups, layer
decay, lr multipliers), `schedule` (warmup + cosine), `checkpoint` (atomic, weights_only-safe),
`sampler` (resumable, rank-sharded), `distributed` (torchrun helpers), `metrics`
(scikit-learn), `rundir` / `report` (what a run leaves behind), `data` (store ->
window datasets for a task), `run` (what `neurokit train` / `eval` do).

Multi-process training (DDP; FSDP with `--set trainer.strategy=fsdp`)::

    neurokit train --model M --dataset D --nproc 4            # launches torchrun itself
    torchrun --standalone --nproc_per_node 4 -m neurokit.cli train --model M --dataset D
    torchrun --nnodes 2 --node_rank R --master_addr HOST --nproc_per_node 8 \\
        -m neurokit.cli train --model M --dataset D             # several machines

`data.batch_size` is per process; only rank 0 writes the run directory; a run
resumes with the same number of processes (`--resume RUN_DIR`, plus `--nproc N`).
"""
