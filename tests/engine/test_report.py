"""Reports worth looking at: curves over epochs with visible single points and the legend
off the data, a titled confusion matrix, class names any font problem cannot garble."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from neurokit.core.engine.report import curves_figure, plot_confusion, write_report  # noqa: E402


def _history(epochs: int, steps_per_epoch: int = 3) -> list[dict]:
    rows = []
    for e in range(epochs):
        for k in range(1, steps_per_epoch + 1):
            step = e * steps_per_epoch + k
            rows.append({"step": step, "epoch": e, "train/loss": 1.0 / step})
        rows.append({"step": (e + 1) * steps_per_epoch, "epoch": e + 1, "val/loss": 0.5,
                     "val/balanced_accuracy": 0.6 + 0.1 * e})  # fmt: skip
    return rows


def test_one_evaluation_is_drawn_as_a_point_on_an_epoch_axis_with_the_legend_outside():
    fig = curves_figure(_history(1), "balanced_accuracy")
    try:
        axes = fig.axes
        lines = [line for ax in axes for line in ax.get_lines()]
        assert {line.get_label() for line in lines} == {
            "train loss", "val loss", "val balanced_accuracy"
        }  # fmt: skip
        assert all(line.get_marker() not in (None, "None", "") for line in lines)
        assert axes[0].get_xlabel() == "epoch"
        val = next(line for line in lines if line.get_label() == "val loss")
        assert list(val.get_xdata()) == [1.0]  # epoch 1, not step 3
        train = next(line for line in lines if line.get_label() == "train loss")
        assert list(train.get_xdata()) == [1 / 3, 2 / 3, 1.0]
        fig.canvas.draw()
        legend = axes[0].get_legend().get_window_extent()
        for ax in axes:  # the legend overlaps no axes (no data hidden under it)
            assert not legend.overlaps(ax.get_window_extent())
    finally:
        plt.close(fig)


def test_chinese_class_names_give_no_glyph_warning_and_the_report_names_them(tmp_path):
    names = ["你好", "世界", "电脑"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing-glyph warning fails the test
        plot_confusion(tmp_path / "cm.png", [[3, 1, 0], [0, 2, 1], [1, 0, 4]], names, "t")
        report = {"best_epoch": 2, "monitor": "balanced_accuracy", "test": {
            "confusion_matrix": [[3, 1, 0], [0, 2, 1], [1, 0, 4]], "accuracy": 0.75}}  # fmt: skip
        write_report(tmp_path, report, _history(2), names)
    assert (tmp_path / "cm.png").stat().st_size > 0
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "0 = 你好, 1 = 世界, 2 = 电脑" in md  # drawn as class i when no font has them


def test_the_confusion_matrix_is_titled_with_split_and_checkpoint(tmp_path, monkeypatch):
    import neurokit.core.engine.report as report_module

    titles = []
    monkeypatch.setattr(
        report_module, "plot_confusion", lambda path, m, names, title=None: titles.append(title)
    )
    report = {"best_epoch": 7, "monitor": "auroc", "test": {"confusion_matrix": [[1, 0], [0, 1]]}}
    write_report(tmp_path, report, _history(1), ["a", "b"])
    assert titles == ["test split, checkpoint of epoch 7 (best val auroc)"]
