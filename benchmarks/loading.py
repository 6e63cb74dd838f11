"""Random-window loading and prepare throughput: the neurokit store against memmap, h5py and lazy EDF.

    python benchmarks/loading.py                       # modest size, a few minutes on 2 cores
    python benchmarks/loading.py --recordings 200 --minutes 10 --windows 20000   # issue 3 size

What it measures (same random (recording, start) list for every reader, 10-s windows,
warm OS cache, batch 64 and 0/1/2 workers):

- `store` : neurokit `WindowDataset` through exactly what `neurokit train` iterates: the
  trainer's `ResumableSampler` and `_loader` = `make_train_loader` (ThreadedLoader, workers
  are threads, each batch built by `WindowDataset.read_batch`: one copy per window from the
  decoded cache straight into the batch tensor)
- `store-items`: the previous fast path (ThreadedLoader over per-window items + `collate`)
- `store-proc`: the same dataset through torch DataLoader worker processes (DeferredBatch):
  what `neurokit train` used before issue 11
- `store-zarr`: the same dataset reading zarr per window (`cache="none"`), the naive path
- `memmap` : one `.npy` per recording, `np.load(mmap_mode="r")`, windows stacked with numpy
- `h5py`   : one contiguous dataset per recording, file opened lazily per worker
- `edf-mne`: `mne.io.read_raw_edf(preload=False)` per recording, `get_data(start, stop)`
  (braindecode's behaviour without a cache)

plus a shuffled epoch over every window through the trainer's loader with an empty cache
(cold: each recording decoded into the cache on first touch) against the next epoch (warm),
the codec/chunk table that chose the store's defaults (ratio, write and decode
speed, naive per-window rate) and `prepare` throughput in signal-hours per minute with
1 and 2 workers on demo-like EDFs. Results are printed and saved (JSON + PNG) under `--out`.

Issue 11, measured 2026-12-01 with
`python benchmarks/loading.py --skip codecs prepare` (40 x 23 ch x 5 min at 200 Hz, 6,000
random 10-s windows, best of 2 interleaved rounds) on the shared 2-core machine under a load
average of 13-17 (other helpers' test suites running), so absolute rates are ~10x below the
issue's; the ratios are the claim:

    windows/s      0 workers  1 worker  2 workers
    store             2,086     2,648     1,734   (trainer path now: make_train_loader, threads)
    store-items       1,981     2,584     2,084   (ThreadedLoader + per-item collate)
    store-proc        2,108     1,842     2,092   (trainer path before: DataLoader processes)
    memmap            1,301       744       775
    h5py                167       159       183
    store-zarr           51        50        77
    edf-mne              94        91       107

    through the trainer's path: store/edf-mne 22x / 29x / 16x (target >= 10x; issue 3's
    numbers on a quieter machine: 11x / 9x / 4x), store/memmap 1.60 / 3.56 / 2.24 (target >= 1x).
    Cold vs warm epoch (1,200 windows, trainer's loader, empty cache): 0 workers 9.45 s vs
    0.77 s (12.3x), 1 worker 5.48 s vs 0.90 s (6.1x), 2 workers 7.93 s vs 0.69 s (11.5x): the
    first epoch is decode-bound (zarr blosc-zstd), later ones copy-bound. One-time warm of
    the 0.22 GB split before training: 23.8 s at this load.
    In a cProfile of read_batch (0 workers) the window copies are ~85% of its time, so the
    path is copy-bound; its difference to per-item collate is inside this load's noise.

Earlier (issue 3, 2026-11-23, load 6-7), same command with codecs and prepare:

    windows/s      0 workers  1 worker  2 workers
    store             6,766     7,381     4,608   (ThreadedLoader, threads)
    store-proc        6,426     5,952     4,314   (DataLoader processes, DeferredBatch)
    memmap            7,672     2,629     2,546
    h5py              1,232     1,212     1,163
    store-zarr          208       190       513   (naive per-window zarr read)
    edf-mne           1,700     1,066       845

    codecs: blosc-zstd-3 1.21x (chosen), blosc-lz4-5 1.15x, zstd-3 1.08x; 60-s chunks decode
    ~2x faster than 10-s chunks.
    prepare: 5.4 signal-h/min with 1 worker, 9.5 with 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def synth_corpus(
    n: int, channels: int, minutes: float, sfreq: float, seed: int = 0
) -> list[np.ndarray]:
    """EEG-like float32 signals (1/f + alpha + artefacts from the demo model), so codecs see real-ish entropy."""
    from neurokit.plugins.datasets.demo import _subject_traits, synthesize

    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        x = synthesize(
            rng, int(minutes * 60), sfreq, abnormal=bool(i % 2), traits=_subject_traits(rng)
        )
        extra = channels - x.shape[0]
        if extra > 0:
            x = np.vstack(
                [x, 0.5 * (x[:extra] + x[1 : extra + 1]) + rng.standard_normal((extra, x.shape[1]))]
            )
        out.append(np.ascontiguousarray(x[:channels], dtype=np.float32))
    return out


# ------------------------------------------------------------------ readers


class MemmapWindows:
    def __init__(self, paths, index, length):
        self.paths, self.index, self.length, self._open = paths, index, length, {}

    def __len__(self):
        return len(self.index)

    def __getitem__(self, i):
        r, s = self.index[i]
        arr = self._open.get(r)
        if arr is None:
            arr = self._open[r] = np.load(self.paths[r], mmap_mode="r")
        return np.array(arr[:, s : s + self.length])


class H5Windows:
    def __init__(self, path, index, length):
        self.path, self.index, self.length, self._file, self._pid = path, index, length, None, None

    def __len__(self):
        return len(self.index)

    def __getitem__(self, i):
        import h5py

        if self._file is None or self._pid != os.getpid():
            self._file, self._pid = h5py.File(self.path, "r"), os.getpid()
        r, s = self.index[i]
        return self._file[f"r{r}"][:, s : s + self.length]


class EdfWindows:
    def __init__(self, paths, index, length):
        self.paths, self.index, self.length, self._open = paths, index, length, {}

    def __len__(self):
        return len(self.index)

    def __getitem__(self, i):
        import mne

        r, s = self.index[i]
        raw = self._open.get(r)
        if raw is None:
            raw = self._open[r] = mne.io.read_raw_edf(self.paths[r], preload=False, verbose="error")
        return raw.get_data(start=s, stop=s + self.length).astype(np.float32)


def indexed(dataset, index):
    """The real WindowDataset, its window table replaced by the benchmark's random list."""
    dataset._rec = np.array([r for r, _ in index], dtype=np.int64)
    dataset._start = np.array([s for _, s in index], dtype=np.int64)
    dataset._length = np.full(len(index), dataset.window, dtype=np.int64)
    dataset._label = np.zeros(len(index))
    return dataset


def _stack(items):
    """Baselines collate like torch's default_collate: one tensor, in shared memory in workers."""
    import torch
    from torch.utils.data import default_collate

    return default_collate([torch.from_numpy(np.ascontiguousarray(x)) for x in items])


def rate(dataset, workers: int, batch: int = 64, collate=_stack) -> float:
    """Windows per second through a DataLoader (after one warm-up batch per worker)."""
    import torch
    from torch.utils.data import DataLoader

    torch.set_num_threads(1)
    warm = max(1, workers)
    batch = max(1, min(batch, len(dataset) // (warm + 3)))
    loader = DataLoader(dataset, batch_size=batch, shuffle=False, num_workers=workers, collate_fn=collate,
                        persistent_workers=workers > 0)  # fmt: skip
    iterator = iter(loader)
    for _ in range(warm):
        next(iterator)
    count, start = 0, time.perf_counter()
    for b in iterator:
        count += len(b)
    elapsed = time.perf_counter() - start
    del iterator, loader
    return count / elapsed


def trainer_loader(
    dataset, workers: int, collate, batch: int = 64, shuffle: bool = False, epoch: int = 0
):
    """Exactly what `neurokit train` iterates: the trainer's ResumableSampler and `_loader`
    (`make_train_loader`) over a dataset from `build_datasets`."""
    from neurokit.core.data.loader import make_train_loader
    from neurokit.core.engine.sampler import ResumableSampler

    sampler = ResumableSampler(dataset, 1, 0, shuffle=shuffle, seed=0)
    sampler.set_epoch(epoch)
    return make_train_loader(dataset, sampler, batch, workers, collate, seed=epoch)


def rate_trainer(dataset, workers: int, collate, batch: int = 64) -> float:
    """Windows per second through the trainer's loader (after one warm-up batch)."""
    import torch

    torch.set_num_threads(1)
    iterator = iter(trainer_loader(dataset, workers, collate, batch))
    next(iterator)
    count, start = 0, time.perf_counter()
    for b in iterator:
        count += len(b)
    return count / (time.perf_counter() - start)


def rate_items(dataset, workers: int, sfreq: float, batch: int = 64) -> float:
    """The previous fast path: ThreadedLoader over per-window items + `collate` (no `read_batch`)."""
    import torch

    from neurokit.core.data.dataset import collate
    from neurokit.core.data.loader import ThreadedLoader

    torch.set_num_threads(1)
    loader = ThreadedLoader(dataset, batch_size=batch, num_workers=workers,
                            collate_fn=lambda items: collate(items, sfreq))  # fmt: skip
    iterator = iter(loader)
    next(iterator)
    count, start = 0, time.perf_counter()
    for b in iterator:
        count += len(b)
    return count / (time.perf_counter() - start)


def epochs_cold_warm(store: Path, window_s: float, workers: list[int], root: Path) -> dict:
    """Seconds of a first epoch that decodes into an empty cache vs a second, warm one.

    A shuffled epoch over every 10-s window of the store through the trainer's loader,
    the cache directory new for each worker count and not warmed beforehand (the run's
    `warm` step skipped), so the first epoch pays the decode inside the loader.
    """
    import torch

    from neurokit.core.data.dataset import Collate, WindowDataset

    torch.set_num_threads(1)
    out = {}
    for w in workers:
        cache = root / f"cold-cache-{w}"
        shutil.rmtree(cache, ignore_errors=True)
        ds = WindowDataset(store, "train", window_s, cache_dir=cache)
        collate = Collate(ds.sfreq)
        times = []
        for epoch in range(2):
            t0 = time.perf_counter()
            n = sum(len(b) for b in trainer_loader(ds, w, collate, shuffle=True, epoch=epoch))
            times.append(time.perf_counter() - t0)
        out[w] = {"windows": n, "cold_s": times[0], "warm_s": times[1],
                  "cold_windows_per_s": n / times[0], "warm_windows_per_s": n / times[1]}  # fmt: skip
        shutil.rmtree(cache, ignore_errors=True)
    return out


# ------------------------------------------------------------------ sections


def build(root: Path, data: list[np.ndarray], sfreq: float, with_edf: bool) -> dict:
    import h5py

    from neurokit.core.data.rawio import write_edf
    from neurokit.core.data.schema import StoreSchema
    from neurokit.core.data.writer import StoreWriter
    from neurokit.core.interfaces import Recording, RecordingSource

    names = ["FP1", "FP2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2", "F7", "F8",
             "T3", "T4", "T5", "T6", "A1", "A2", "FZ", "CZ", "PZ", "T1", "T2"][: data[0].shape[0]]  # fmt: skip
    t0 = time.perf_counter()
    writer = StoreWriter(root / "bench.zarr")
    writer.create(
        StoreSchema(dataset="bench", sfreq=sfreq, compression="blosc-zstd-3"), overwrite=True
    )
    for i, x in enumerate(data):
        src = RecordingSource(Path(f"r{i}.edf"), f"r{i:04d}", f"s{i}", label=i % 2)
        writer.write(Recording(src, x, names, sfreq), checksum=f"bench:{i}")
    writer.finalize()
    store_s = time.perf_counter() - t0
    npy = []
    for i, x in enumerate(data):
        npy.append(root / f"npy/r{i}.npy")
        npy[-1].parent.mkdir(exist_ok=True)
        np.save(npy[-1], x)
    with h5py.File(root / "bench.h5", "w") as f:
        for i, x in enumerate(data):
            f.create_dataset(f"r{i}", data=x)
    edf = []
    if with_edf:
        for i, x in enumerate(data):
            edf.append(write_edf(root / f"edf/r{i}.edf", x, sfreq, [f"EEG {n}-REF" for n in names]))
    for path in [*npy, root / "bench.h5", *edf, *(root / "bench.zarr").rglob("*")]:  # warm OS cache
        if Path(path).is_file():
            Path(path).read_bytes()
    return {
        "store": root / "bench.zarr",
        "npy": npy,
        "h5": root / "bench.h5",
        "edf": edf,
        "store_write_s": store_s,
    }


def loading(paths: dict, data: list[np.ndarray], sfreq: float, window_s: float, n_windows: int, n_edf: int,
            workers: list[int], repeat: int = 2) -> dict:  # fmt: skip
    from neurokit.core.data.dataset import Collate, WindowDataset

    length = int(window_s * sfreq)
    rng = np.random.default_rng(0)
    recs = rng.integers(0, len(data), n_windows)
    index = [(int(r), int(rng.integers(0, data[r].shape[1] - length))) for r in recs]
    cache_dir = Path(paths["store"]).parent / "cache"
    results: dict[str, dict[str, float]] = {}
    t0 = time.perf_counter()
    ds = WindowDataset(paths["store"], "train", window_s, cache_dir=cache_dir)
    ds.warm_cache()
    ds = indexed(ds, index)
    results["cache_build_s"] = {"all": time.perf_counter() - t0}
    collate = Collate(sfreq)
    zarr_ds = indexed(
        WindowDataset(paths["store"], "train", window_s, cache="none"), index[: n_windows // 4]
    )
    readers = {
        "memmap": lambda w: rate(MemmapWindows(paths["npy"], index, length), w),
        "store": lambda w: rate_trainer(ds, w, collate),
        "store-items": lambda w: rate_items(ds, w, sfreq),
        "store-proc": lambda w: rate(ds, w, collate=collate),
        "h5py": lambda w: rate(H5Windows(paths["h5"], index[: n_windows // 2], length), w),
        "store-zarr": lambda w: rate(zarr_ds, w, collate=collate),
    }
    if paths["edf"]:
        readers["edf-mne"] = lambda w: rate(EdfWindows(paths["edf"], index[:n_edf], length), w)
    # Interleaved rounds, best of `repeat`: the machine is shared, so load comes and goes.
    for _ in range(repeat):
        for w in workers:
            for name, measure in readers.items():
                value = measure(w)
                results.setdefault(name, {})[w] = max(value, results.get(name, {}).get(w, 0.0))
    return results


def codecs(data: list[np.ndarray], sfreq: float, window_s: float, root: Path) -> list[dict]:
    """Ratio, write MB/s, full decode MB/s and naive per-window reads/s for codec x chunk options."""
    import zarr

    from neurokit.core.data.writer import compressors

    sample = data[: min(8, len(data))]
    raw_bytes = sum(x.nbytes for x in sample)
    length = int(window_s * sfreq)
    rng = np.random.default_rng(1)
    rows = []
    for codec in ("none", "blosc-lz4-5", "blosc-zstd-3", "zstd-3"):
        for chunk_s in (10.0, 60.0):
            path = root / f"codec-{codec}-{chunk_s:g}.zarr"
            group = zarr.open_group(str(path), mode="w")
            t0 = time.perf_counter()
            for i, x in enumerate(sample):
                chunk = int(chunk_s * sfreq)
                shard = chunk * int(np.ceil(x.shape[1] / chunk))
                a = group.create_array(f"r{i}", shape=x.shape, dtype="float32", chunks=(x.shape[0], chunk),
                                       shards=(x.shape[0], shard), compressors=compressors(codec))  # fmt: skip
                a[:] = x
            write = raw_bytes / (time.perf_counter() - t0) / 1e6
            size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            t0 = time.perf_counter()
            for i in range(len(sample)):
                group[f"r{i}"][:]
            decode = raw_bytes / (time.perf_counter() - t0) / 1e6
            arrays = [group[f"r{i}"] for i in range(len(sample))]
            t0, n = time.perf_counter(), 300
            for _ in range(n):
                r = int(rng.integers(0, len(sample)))
                s = int(rng.integers(0, sample[r].shape[1] - length))
                arrays[r][:, s : s + length]
            rows.append({"codec": codec, "chunk_s": chunk_s, "ratio": raw_bytes / size, "write_MBps": write,
                         "decode_MBps": decode, "naive_windows_per_s": n / (time.perf_counter() - t0)})  # fmt: skip
            shutil.rmtree(path)
    return rows


def prepare_throughput(root: Path, n: int, minutes: float, workers: list[int]) -> dict:
    from neurokit.core.data.prepare import prepare
    from neurokit.plugins.datasets.demo import DemoConfig, DemoDataset

    per_subject = 2
    config = DemoConfig(subjects=max(4, n // per_subject), sessions=per_subject,
                        min_seconds=int(minutes * 60), max_seconds=int(minutes * 60))  # fmt: skip
    dataset = DemoDataset(config)
    raw = dataset.generate(root / "raw")
    out = {}
    for w in workers:
        summary = prepare(
            "demo",
            raw,
            root / f"prep-{w}.zarr",
            workers=w,
            progress=False,
            dataset=dataset,
            overwrite=True,
        )
        d = summary.to_dict()
        out[w] = {"recordings": d["written"], "hours": d["hours_written"], "seconds": d["elapsed_s"],
                  "signal_hours_per_minute": d["signal_hours_per_minute"]}  # fmt: skip
    return out


def figure(loading_results: dict, workers: list[int], target: Path) -> None:
    """Grouped bars of windows/s per reader and worker count (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [
        n
        for n in ("store", "store-items", "store-proc", "memmap", "h5py", "store-zarr", "edf-mne")
        if n in loading_results
    ]
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(workers)
    for k, w in enumerate(workers):
        ax.bar([i + k * width for i in range(len(names))], [loading_results[n][w] for n in names], width,
               label=f"{w} workers")  # fmt: skip
    ax.set_xticks([i + width * (len(workers) - 1) / 2 for i in range(len(names))], names)
    ax.set_yscale("log")
    ax.set_ylabel("random 10-s windows / s")
    ax.legend()
    fig.tight_layout()
    fig.savefig(target)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=40)
    parser.add_argument("--channels", type=int, default=23)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--sfreq", type=float, default=200.0)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument(
        "--windows", type=int, default=6000, help="random windows per reader (h5py /2, zarr /4)"
    )
    parser.add_argument("--edf-windows", type=int, default=400)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--prepare-recordings", type=int, default=16)
    parser.add_argument("--prepare-minutes", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=2, help="rounds per reader; the best is kept")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=["codecs", "loading", "epochs", "prepare"]
    )
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="neurokit-bench-"))
    report: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "cpus": os.cpu_count(),
                    "load_before": os.getloadavg()}  # fmt: skip
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (shared machine: rates are noisy)"
    )
    try:
        print(
            f"synthesising {args.recordings} x {args.channels} ch x {args.minutes:g} min at {args.sfreq:g} Hz ..."
        )
        data = synth_corpus(args.recordings, args.channels, args.minutes, args.sfreq)
        gb = sum(x.nbytes for x in data) / 1e9
        print(f"  {gb:.2f} GB float32")
        if "codecs" not in args.skip:
            rows = codecs(data, args.sfreq, args.window, root)
            report["codecs"] = rows
            print(
                "\ncodec x chunk (8 recordings): ratio, write MB/s, decode MB/s, naive zarr windows/s"
            )
            for r in rows:
                print(f"  {r['codec']:>13} {r['chunk_s']:>4g}s  {r['ratio']:5.2f}x  {r['write_MBps']:7.0f}  "
                      f"{r['decode_MBps']:7.0f}  {r['naive_windows_per_s']:7.0f}")  # fmt: skip
        if "loading" not in args.skip:
            paths = build(root, data, args.sfreq, with_edf=True)
            res = loading(paths, data, args.sfreq, args.window, args.windows, args.edf_windows, args.workers,
                          args.repeat)  # fmt: skip
            report["loading"] = res
            print(
                f"\nrandom {args.window:g}-s windows/s (DataLoader, batch 64); columns = workers {args.workers}"
            )
            for name in (
                "store",
                "store-items",
                "store-proc",
                "memmap",
                "h5py",
                "store-zarr",
                "edf-mne",
            ):
                if name in res:
                    print(
                        f"  {name:>11}: " + "  ".join(f"{res[name][w]:9.0f}" for w in args.workers)
                    )
            print(
                f"  (store: one-time decode of the split into the local cache took {res['cache_build_s']['all']:.1f} s)"
            )
            if "epochs" not in args.skip:
                cw = epochs_cold_warm(paths["store"], args.window, args.workers, root)
                report["epochs"] = cw
                print(
                    "\nshuffled epoch over every window, trainer's loader: cold (decode into cache) vs warm"
                )
                for w, r in cw.items():
                    print(f"  workers={w}: {r['windows']} windows, cold {r['cold_s']:.2f} s "
                          f"({r['cold_windows_per_s']:.0f}/s), warm {r['warm_s']:.2f} s "
                          f"({r['warm_windows_per_s']:.0f}/s), cold/warm {r['cold_s'] / r['warm_s']:.1f}x")  # fmt: skip
            for w in args.workers:
                if "edf-mne" in res:
                    print(f"  workers={w}: store/memmap = {res['store'][w] / res['memmap'][w]:.2f}, "
                          f"store/edf-mne = {res['store'][w] / res['edf-mne'][w]:.0f}x, "
                          f"store/h5py = {res['store'][w] / res['h5py'][w]:.1f}x")  # fmt: skip
        if "prepare" not in args.skip:
            prep = prepare_throughput(root, args.prepare_recordings, args.prepare_minutes, [1, 2])
            report["prepare"] = prep
            print("\nprepare (demo EDFs, 22 ch at 250 Hz -> labram profile):")
            for w, r in prep.items():
                print(f"  workers={w}: {r['recordings']} recordings, {r['hours']:.2f} h in {r['seconds']:.1f} s = "
                      f"{r['signal_hours_per_minute']:.2f} signal-h/min")  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report["load_after"] = os.getloadavg()
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"loading-{time.strftime('%Y%m%d-%H%M%S')}.json"
    target.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nsaved {target}")
    if "loading" in report:
        figure(report["loading"], args.workers, target.with_suffix(".png"))
        print(f"saved {target.with_suffix('.png')}")


if __name__ == "__main__":
    main()
