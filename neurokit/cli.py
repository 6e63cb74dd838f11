"""The `neurokit` command line. Each command parses its arguments and delegates."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from neurokit import __version__
from neurokit import console as out
from neurokit.core import catalog
from neurokit.core.errors import NeurokitError
from neurokit.core.interfaces import Kind
from neurokit.core.registry import add_plugin_commands, get_registry

KIND_CHOICES = [k.value for k in Kind] + [k.plural for k in Kind]


class NeurokitGroup(click.Group):
    """Turns user errors into one line on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NeurokitError as exc:
            out.error(str(exc))
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            out.error("interrupted")
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("NEUROKIT_DEBUG"):
                raise
            out.error(
                f"internal error: {type(exc).__name__}: {exc} (set NEUROKIT_DEBUG=1 for the traceback)"
            )
            ctx.exit(1)


@click.group(cls=NeurokitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="neurokit")
def cli() -> None:
    """neurokit: datasets, tokenizers, backbones and training for neural-signal foundation models."""


json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@cli.command("list")
@click.argument("kind", required=False, type=click.Choice(KIND_CHOICES, case_sensitive=False))
@click.option("--pattern", "-p", help="Glob on the name, e.g. 'labram-*'.")
@json_option
def list_command(kind: str | None, pattern: str | None, as_json: bool) -> None:
    """List registered components (all kinds, or one KIND)."""
    rows = catalog.list_rows(get_registry(), Kind(kind.rstrip("s")) if kind else None, pattern)
    out.print_json(rows) if as_json else out.components_table(rows, by_kind=kind is None)


@cli.command("info")
@click.argument("kind", type=click.Choice(KIND_CHOICES, case_sensitive=False))
@click.argument("name")
@json_option
def info_command(kind: str, name: str, as_json: bool) -> None:
    """Describe one component: plugin, description and config options."""
    info = catalog.component_info(get_registry().get(kind.rstrip("s"), name))
    out.print_json(info) if as_json else out.component_info(info)


@cli.command("plugins")
@json_option
def plugins_command(as_json: bool) -> None:
    """List plugins: package, version, what each registered, load errors."""
    rows = catalog.plugin_rows(get_registry())
    out.print_json(rows) if as_json else out.plugins_table(rows)


@cli.command("prepare")
@click.argument("dataset")
@click.option(
    "--raw", type=click.Path(file_okay=False), help="Corpus directory (demo: generated if omitted)."
)
@click.option("--out", help="Store path or fsspec URL (default: DATASET.zarr).")
@click.option(
    "--workers", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Processes."
)
@click.option(
    "--profile", help="Preprocessing profile: raw or a model family's (labram, luna, neurolm, ...)."
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Dataset option, e.g. preprocessing.notch=60.",
)
@click.option(
    "--overwrite", is_flag=True, help="Delete an existing store first instead of resuming it."
)
@json_option
def prepare_command(dataset, raw, out, workers, profile, overrides, overwrite, as_json) -> None:
    """Prepare a corpus into a neurokit store (resumable; rerun to finish)."""
    from neurokit.commands.data import run_prepare

    run_prepare(dataset, raw, out, workers, profile, overrides, overwrite, as_json)


@cli.command("stream")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--lsl", "lsl_name", required=True, help="Name of the LSL stream to read.")
@click.option(
    "--hop",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Seconds between predictions.",
)
@click.option("--outlet", help="LSL outlet for the predictions (default: NAME-predictions).")
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    help="Stop after this many seconds of signal.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds to wait for the stream (and for data).",
)
@click.option(
    "--scale", type=float, help="Factor to microvolts (default: from the stream's units)."
)
@json_option
def stream_command(run_dir, lsl_name, hop, outlet, duration, timeout, scale, as_json) -> None:
    """Predict on a Lab Streaming Layer stream in real time (needs the `stream` extra)."""
    from neurokit.commands.stream import run_stream

    run_stream(run_dir, lsl_name, hop, outlet, duration, timeout, scale, as_json)


@cli.group("store")
def store_group() -> None:
    """Inspect neurokit stores."""


@store_group.command("info")
@click.argument("store")
@json_option
def store_info_command(store: str, as_json: bool) -> None:
    """Schema, preprocessing, recordings, channels, classes, splits and hours of a store."""
    from neurokit.commands.data import store_info

    store_info(store, as_json)


@store_group.command("verify")
@click.argument("store")
@json_option
def store_verify_command(store: str, as_json: bool) -> None:
    """Check every recording (metadata, chunk files, checksums); name the damaged ones."""
    from neurokit.commands.data import store_verify

    store_verify(store, as_json)


@store_group.command("import-hdf5")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", required=True, help="Store path to create (or resume).")
@click.option(
    "--layout",
    default="auto",
    show_default=True,
    help="An HDF5 layout a model family registers (e.g. labram); auto detects it.",
)
@click.option("--dataset", help="Dataset name recorded in the store (default: hdf5-LAYOUT).")
@click.option(
    "--sfreq", type=float, help="Sampling rate, if the files do not state it (LUNA: 256)."
)
@click.option(
    "--channels", help="Comma-separated channel names for the rows (overrides the file's)."
)
@click.option("--classes", help="Comma-separated class names for integer labels.")
@click.option(
    "--dtype", type=click.Choice(["float32", "float16"]), default="float32", show_default=True
)
@click.option("--overwrite", is_flag=True, help="Replace an existing store instead of resuming it.")
@json_option
def store_import_hdf5_command(
    paths, out, layout, dataset, sfreq, channels, classes, dtype, overwrite, as_json
) -> None:
    """Import HDF5 files (or folders of them) in a family's layout (LaBraM, LUNA) into a store."""
    from neurokit.commands.data import run_import_hdf5

    run_import_hdf5(
        paths, out, layout, dataset, sfreq, channels, classes, dtype, overwrite, as_json
    )


@store_group.command("export-hdf5")
@click.argument("store")
@click.option("--out", required=True, help="LaBraM: the .hdf5 file; LUNA: a folder for {split}.h5.")
@click.option(
    "--layout",
    default="labram",
    show_default=True,
    help="An HDF5 export layout a model family registers (e.g. labram, luna).",
)
@click.option("--split", multiple=True, help="Only these splits (repeatable; default: all).")
@click.option(
    "--window-seconds", type=float, default=5.0, show_default=True, help="LUNA: window length."
)
@click.option(
    "--group-size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="LUNA: windows per data_group.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@json_option
def store_export_hdf5_command(
    store, out, layout, split, window_seconds, group_size, overwrite, as_json
) -> None:
    """Export a neurokit store to HDF5 in a family's layout (LaBraM, LUNA)."""
    from neurokit.commands.data import run_export_hdf5

    run_export_hdf5(store, out, layout, split, window_seconds, group_size, overwrite, as_json)


@store_group.command("import-braindecode")
@click.argument("path", type=click.Path(exists=True))
@click.option("--out", required=True, help="Store path to create (or resume).")
@click.option("--dataset", help="Dataset name recorded in the store (default: from the path).")
@click.option(
    "--dtype", type=click.Choice(["float32", "float16"]), default="float32", show_default=True
)
@click.option("--overwrite", is_flag=True, help="Replace an existing store instead of resuming it.")
@json_option
def store_import_braindecode_command(path, out, dataset, dtype, overwrite, as_json) -> None:
    """Import a braindecode hub Zarr dataset (dataset.zarr or its hub folder) into a store."""
    from neurokit.commands.data import run_import_braindecode

    run_import_braindecode(path, out, dataset, dtype, overwrite, as_json)


@store_group.command("export-braindecode")
@click.argument("store")
@click.option("--out", required=True, help="The dataset.zarr folder to write.")
@click.option("--split", multiple=True, help="Only these splits (repeatable; default: all).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@json_option
def store_export_braindecode_command(store, out, split, overwrite, as_json) -> None:
    """Export a store in braindecode's hub Zarr format (load it with braindecode's load_from_zarr)."""
    from neurokit.commands.data import run_export_braindecode

    run_export_braindecode(store, out, split, overwrite, as_json)


@cli.command("train")
@click.option("--model", "-m", help="Model preset (e.g. tiny, labram) or backbone name.")
@click.option(
    "--dataset",
    "-d",
    help="Dataset name; its store is DATA_ROOT/DATASET.zarr unless data.store is set.",
)
@click.option("--task", "-t", help="Task (default: the model's default task).")
@click.option(
    "--config", "config_file", type=click.Path(dir_okay=False), help="YAML/TOML/JSON run config."
)
@click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override, e.g. trainer.lr=1e-4."
)
@click.option(
    "--from",
    "from_run",
    type=click.Path(file_okay=False),
    help="An earlier stage's run whose outputs this stage consumes (tokenizer, weights).",
)
@click.option("--print-config", is_flag=True, help="Print the resolved config and exit.")
@click.option(
    "--describe", is_flag=True, help="With --print-config: each key's meaning as a comment."
)
@click.option(
    "--resume",
    "resume",
    type=click.Path(file_okay=False),
    help="Continue the run in RUN_DIR exactly.",
)
@click.option(
    "--nproc",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes (torchrun).",
)
def train_command(
    model, dataset, task, config_file, overrides, from_run, print_config, describe, resume, nproc
) -> None:
    """Train MODEL on DATASET: one stage; config, checkpoints and report in a run directory."""
    from neurokit.commands.train import run_train

    run_train(
        model, dataset, task, config_file, overrides, from_run, print_config, resume, nproc,
        describe,
    )  # fmt: skip


@cli.command("pipeline")
@click.option("--model", "-m", required=True, help="Model family (e.g. labram, luna).")
@click.option("--dataset", "-d", help="Dataset name; its store is DATA_ROOT/DATASET.zarr.")
@click.option(
    "--config", "config_file", type=click.Path(dir_okay=False), help="YAML/TOML/JSON run config."
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override for every stage; a task.* option reaches the stages whose task has it "
    "(refused if none has); STAGE:KEY=VALUE (e.g. finetune:trainer.lr=1e-4) reaches one stage.",
)
@click.option("--name", help="Pipeline directory under output_dir (default: MODEL-DATASET).")
@click.option("--stage", "stages", multiple=True, help="Run only these stages (repeatable).")
@click.option("--small", is_flag=True, help="CPU-sized stages (each stage's smoke settings).")
@click.option(
    "--seeds",
    metavar="LIST",
    help="Run the whole pipeline once per seed (0,1,2 or 0-5), each under NAME/seed<k>; "
    "prints the mean and std of the last stage's test metrics.",
)
def pipeline_command(model, dataset, config_file, overrides, name, stages, small, seeds) -> None:
    """Run every stage of a model family in order, each consuming the last; reruns skip
    finished stages and resume an interrupted one."""
    from neurokit.commands.train import run_pipeline

    run_pipeline(model, dataset, config_file, overrides, name, stages, small, seeds)


@cli.command("eval")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--dataset", "-d", help="Evaluate on another dataset (default: the run's).")
@click.option("--split", default="test", show_default=True, help="Split to evaluate.")
@click.option("--store", help="Store path or URL (default: the run's / DATA_ROOT/DATASET.zarr).")
@json_option
def eval_command(run_dir, dataset, split, store, as_json) -> None:
    """Evaluate a run's selected checkpoint on a split; reproduces its test metrics."""
    from neurokit.commands.train import run_eval

    run_eval(run_dir, dataset, split, store, as_json)


@cli.command("predict")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--input", "input_path", required=True,
    help="EDF/BDF/FIF/... file, BIDS dataset, folder of recordings, or a neurokit store.",
)  # fmt: skip
@click.option(
    "--out", "out_path", help="FILE.csv or FILE.parquet (default: INPUT-predictions.csv)."
)
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option(
    "--allow-profile-mismatch", is_flag=True,
    help="Use a store prepared with other filters/rate/montage than the run's store.",
)  # fmt: skip
@json_option
def predict_command(run_dir, input_path, out_path, batch_size, allow_profile_mismatch, as_json):
    """Class probabilities per window of each recording (run's preprocessing and windows),
    plus a per-recording summary beside them (FILE.summary.csv)."""
    from neurokit.commands.deploy import run_predict

    run_predict(run_dir, input_path, out_path, batch_size, as_json, allow_profile_mismatch)


@cli.command("embed")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--input", "input_path", required=True, help="Recording, folder, BIDS dataset or store."
)
@click.option("--out", "out_path", required=True, help="The Zarr folder to write (X.zarr).")
@click.option("--per-token", is_flag=True, help="Also write per-token features.")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option(
    "--allow-profile-mismatch", is_flag=True,
    help="Use a store prepared with other filters/rate/montage than the run's store.",
)  # fmt: skip
@json_option
def embed_command(
    run_dir, input_path, out_path, per_token, batch_size, overwrite, allow_profile_mismatch, as_json
) -> None:
    """Per-window features (pooled, optionally per token) with the window index, in Zarr."""
    from neurokit.commands.deploy import run_embed

    run_embed(
        run_dir, input_path, out_path, per_token, batch_size, overwrite, as_json,
        allow_profile_mismatch,
    )  # fmt: skip


@cli.command("export")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--format", "fmt", required=True,
    type=click.Choice(["onnx", "torchscript", "safetensors"]), help="Export format.",
)  # fmt: skip
@click.option("--out", "out_dir", required=True, help="Folder for the model and its card.")
@click.option(
    "--check-input",
    help="Recording, folder or store for the real-window check (default: the run's store).",
)
@json_option
def export_command(run_dir, fmt, out_dir, check_input, as_json) -> None:
    """Export a run's model (dynamic batch), check it against PyTorch, write a model card."""
    from neurokit.commands.deploy import run_export

    run_export(run_dir, fmt, out_dir, check_input, as_json)


@cli.group("bench")
def bench_group() -> None:
    """Benchmark grids: models x datasets x protocols x seeds, cached, with tables and plots."""


@bench_group.command("run")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Local processes.",
)
@click.option(
    "--launcher",
    type=click.Choice(["local", "slurm"]),
    default="local",
    show_default=True,
    help="Where cells run: local processes, or Slurm jobs through submitit.",
)
@click.option(
    "--launcher-opt",
    "launcher_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="submitit parameter, e.g. slurm_partition=gpu, gpus_per_node=1, timeout_min=600.",
)
@json_option
def bench_run_command(spec, jobs, launcher, launcher_options, as_json) -> None:
    """Run every cell of SPEC without a cached result; then write and print the report."""
    from neurokit.commands.bench import run_bench

    run_bench(spec, jobs, launcher, launcher_options, as_json)


@bench_group.command("report")
@click.argument("spec", type=click.Path(dir_okay=False))
@json_option
def bench_report_command(spec, as_json) -> None:
    """Report what SPEC's finished cells measured (trains nothing)."""
    from neurokit.commands.bench import report_bench

    report_bench(spec, as_json)


def main(argv: list[str] | None = None) -> None:
    add_plugin_commands(get_registry(), cli)
    cli.main(args=argv, prog_name="neurokit")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
