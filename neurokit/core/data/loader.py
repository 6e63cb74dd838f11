"""A thread-based batch loader for stores served from the local memmap cache.

Measured (benchmarks/loading.py): a DataLoader *process* worker must copy every batch
into fresh shared memory, which caps any memmap-backed reader at ~3,000 10-s windows/s
on our 2-core machines, against ~20,000/s for the same copy in-process. Copying from a
memmap releases the GIL, so threads give the parallelism without the transfer. The
class mirrors the DataLoader surface the trainer uses (`dataset`, `sampler`,
`batch_sampler`, `len`, iteration, `set_epoch` through the sampler).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class ThreadedLoader:
    """Batches from `dataset.__getitems__` + `collate_fn`, prefetched by `num_workers` threads."""

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 64,
        shuffle: bool = False,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 2,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        drop_last: bool = False,
        prefetch_factor: int = 2,
        generator: Any = None,
        pin_memory: bool = False,
        **process_options: Any,
    ):
        """Same arguments as torch's DataLoader; process-only ones (`worker_init_fn`,
        `persistent_workers`, `multiprocessing_context`, `timeout`) are accepted and ignored,
        so it is a drop-in replacement."""
        from torch.utils.data import BatchSampler, RandomSampler, SequentialSampler

        if batch_sampler is None:
            if sampler is None:
                sampler = (
                    RandomSampler(dataset, generator=generator)
                    if shuffle
                    else SequentialSampler(dataset)
                )
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.prefetch_factor = max(1, prefetch_factor)
        self.pin_memory = pin_memory

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def _fetch(self, indices: list[int]) -> Any:
        fetch = getattr(self.collate_fn, "fetch", None)
        if fetch is not None:  # Collate: the dataset builds the batch in one pass
            batch = fetch(self.dataset, indices)
        else:
            getitems = getattr(self.dataset, "__getitems__", None)
            items = getitems(indices) if getitems else [self.dataset[i] for i in indices]
            batch = self.collate_fn(items) if self.collate_fn else items
        return batch.pin_memory() if self.pin_memory else batch

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers <= 0:
            for indices in self.batch_sampler:
                yield self._fetch(indices)
            return
        pool = ThreadPoolExecutor(self.num_workers, thread_name_prefix="neurokit-loader")
        pending: deque[Future] = deque()
        indices_iter = iter(self.batch_sampler)
        try:
            for _ in range(self.num_workers * self.prefetch_factor):
                indices = next(indices_iter, None)
                if indices is None:
                    break
                pending.append(pool.submit(self._fetch, indices))
            while pending:
                batch = pending.popleft().result()
                indices = next(indices_iter, None)
                if indices is not None:
                    pending.append(pool.submit(self._fetch, indices))
                yield batch
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def serves_from_cache(dataset: Any) -> bool:
    """True when every window comes from a decoded local cache (memmap or memory): threads win."""
    parts = getattr(dataset, "datasets", None)
    if parts is not None:
        return all(serves_from_cache(d) for d in parts)
    cache = getattr(dataset, "cache", None)
    return cache is not None and getattr(cache, "mode", "none") in {"disk", "memory"}


def make_train_loader(
    dataset: Any,
    sampler: Any,
    batch_size: int,
    num_workers: int,
    collate_fn: Callable[[list[Any]], Any] | None,
    seed: int,
    pin_memory: bool = False,
    worker_init_fn: Callable[[int], None] | None = None,
) -> Any:
    """The loader `neurokit train` iterates: the trainer's sampler, batches of `Batch`.

    Store windows served from the decoded cache go through `ThreadedLoader` (the copy
    releases the GIL; worker processes would have to ship every batch through shared
    memory, measured 2-6x slower in benchmarks/loading.py). Anything else (in-memory
    test datasets, `cache="none"`) uses torch's DataLoader with worker processes. The
    order is the sampler's in both, so resuming is exact whichever is used.
    """
    import torch
    from torch.utils.data import DataLoader

    if serves_from_cache(dataset):
        return ThreadedLoader(
            dataset, batch_size=batch_size, sampler=sampler, num_workers=num_workers,
            collate_fn=collate_fn, pin_memory=pin_memory,
        )  # fmt: skip
    generator = torch.Generator()  # never draw from the global RNG (exact resume)
    generator.manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=num_workers,
        collate_fn=collate_fn,
        pin_memory=pin_memory,
        generator=generator,
        worker_init_fn=worker_init_fn if num_workers else None,
    )
