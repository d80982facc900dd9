"""``j1 report``: one page that shows how judges did, with figures, beside the J1 paper's numbers.

Inputs (each optionally ``LABEL@`` in front, to name the judge):

* an lm-eval output folder, or one ``samples_<task>_*.jsonl`` file of a J1 task (``--log_samples``);
* ``BENCHMARK:FILE``, a judgments file of ``j1 judge`` (or any file ``j1 score`` reads), scored
  against ``--data-dir/<benchmark>.jsonl`` when that file exists, else the hub;
* a ``j1 score --json`` report (a ``.json`` file);
* a ``j1 demo`` folder (``results.json`` and ``judgments-*.jsonl``): its base, warm-up and
  trained judges on the held-out pairs.

Output in ``--out``: ``report.html`` (one self-contained page, figures embedded), ``report.md``
(the same tables, linking the figures) and the PNG figures: position bias per benchmark ((a,b),
(b,a), consistent, flip), SC@N / Mean-Score@N curves (runs with several samples), per-subset bars,
the length of the judges' thoughts, and parse failures by reason.
"""

from __future__ import annotations

import base64
import html
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from j1_plugin.files import iter_jsonl, read_json

FIGURES = ("position_bias", "sc_curves", "subsets", "thought_length", "parse_failures")
BIAS_KEYS = (("ab_accuracy", "(a,b)"), ("ba_accuracy", "(b,a)"), ("consistent_accuracy", "consistent"),
             ("flip_rate", "flip"))  # fmt: skip
THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL)

# The J1 paper's headline numbers (percent): PPE preference / correctness, RewardBench, RM-Bench,
# JudgeBench, FollowBenchEval. ``None``: not reported separately.
PAPER_COLUMNS = (("ppe-preference", "PPE Pref"), ("ppe-correctness", "PPE Corr"), ("rewardbench", "RewardBench"),
                 ("rmbench", "RM-Bench"), ("judgebench", "JudgeBench"), ("followbench", "FollowBenchEval"))  # fmt: skip
CONSISTENT_IN_PAPER = ("judgebench", "followbench")
PAPER_ROWS: dict[str, tuple[float | None, ...]] = {
    "Llama-3.1-8B-Instruct (paper)": (56.4, 54.7, 69.5, 54.0, 32.3, 30.2),
    "J1-Llama-8B (paper)": (60.3, 59.2, 85.7, 73.4, 42.0, 48.3),
    "J1-Llama-70B (paper)": (66.3, 72.9, 93.3, 82.7, 60.0, 69.3),
    "J1-Qwen-32B-MultiTask (paper)": (None, None, 93.6, 90.3, 71.4, 77.1),
    "DeepSeek-R1-671B (paper)": (None, None, 90.6, 88.6, 68.9, 71.7),
}


class ReportError(ValueError):
    """An input ``j1 report`` cannot read; the message names it and what was expected."""


@dataclass
class Entry:
    """One judge on one benchmark: its scores, and what it wrote when the input keeps that."""

    label: str
    benchmark: str
    report: dict[str, Any]
    source: str
    outputs: list[str] = field(default_factory=list)
    sc_curve: list[tuple[int, float]] = field(default_factory=list)

    @property
    def headline(self) -> float | None:
        return headline(self.report)

    @property
    def paper_value(self) -> float | None:
        """The number the J1 paper reports for this benchmark: consistent accuracy on JudgeBench and
        FollowBenchEval, the official overall score (one random order per pair) elsewhere."""
        if self.benchmark in CONSISTENT_IN_PAPER:
            return _number((self.report.get("j1") or {}).get("consistent_accuracy"))
        return self.headline


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def headline(report: Mapping[str, Any]) -> float | None:
    """A score report's official overall score, else its J1 consistent accuracy."""
    official = report.get("official") or {}
    return _number(official.get("overall", (report.get("j1") or {}).get("consistent_accuracy")))


# ----------------------------------------------------------------------------- reading inputs


def _task_benchmarks() -> dict[str, str]:
    from j1_plugin.lmeval import _task_configs, plugin_task_dirs

    return {name: about for folder in plugin_task_dirs() for name, about, _path in _task_configs(folder) if about
            and not about.startswith("group:")}  # fmt: skip


def _task_of(path: Path, tasks: Mapping[str, str]) -> str | None:
    """The J1 task whose lm-eval samples file ``path`` is (the longest task name that fits), if any."""
    return next((name for name in sorted(tasks, key=len, reverse=True) if path.name.startswith(f"samples_{name}_")),
                None)  # fmt: skip


def _scored_file(label: str, benchmark_name: str, path: Path, data: str | None) -> Entry:
    from j1_plugin.rescoring import first_samples, load_judged, rescore

    benchmark, pairs, lines, fmt = load_judged(benchmark_name, path, data=data)
    report = rescore(benchmark, pairs, lines, fmt=fmt, source=str(path))
    outputs = [line["output"] for _, line in lines if isinstance(line.get("output"), str)]
    samples = max((line.get("sample", 0) for _, line in lines if isinstance(line.get("sample", 0), int)), default=0) + 1
    curve = []
    if samples > 1:  # SC@N / Mean-Score@N: the official score with the first N samples of each judgment
        for size in sorted({n for n in (1, 2, 4, 8, 16, 32, 64) if n < samples} | {samples}):
            scored = rescore(benchmark, pairs, first_samples(lines, size), fmt=fmt, source=str(path))
            value = headline(scored)
            if value is not None:
                curve.append((size, value))
    return Entry(label, benchmark_name, report, str(path), outputs, curve)


def _lmeval_entries(label: str | None, folder: Path) -> list[Entry]:
    tasks = _task_benchmarks()
    entries = []
    for path in sorted(folder.rglob("samples_*.jsonl")):
        task = _task_of(path, tasks)
        if task is None:
            continue  # not a J1 task's samples
        entries.append(_scored_file(label or path.parent.name, tasks[task], path, None))
    if not entries:
        raise ReportError(f"{folder}: no samples_<task>_*.jsonl file of a J1 task (run lm_eval with --log_samples)")
    return entries


def _demo_entries(label: str | None, folder: Path) -> list[Entry]:
    results = read_json(folder / "results.json", ReportError)
    entries = []
    for stem, key, name in (
        ("base", "before", "base"),
        ("warmup", "warmup", "warm-up"),
        ("trained", "after", "trained"),
    ):
        metrics = results.get(key) if isinstance(results, dict) else None
        if not isinstance(metrics, dict):
            raise ReportError(f"{folder / 'results.json'}: no {key!r} results; is this a j1 demo folder?")
        outputs, failures = [], Counter()
        judgments = folder / f"judgments-{stem}.jsonl"
        if judgments.exists():
            for _number, line in iter_jsonl(judgments, ReportError):
                if isinstance(line, dict) and isinstance(line.get("output"), str):
                    outputs.append(line["output"])
                    if line.get("reason_code"):
                        failures[line["reason_code"]] += 1
        j1 = {k: v for k, v in metrics.items() if k != "pairs"}
        report = {"benchmark": "demo held-out", "pairs": metrics.get("pairs"), "official": {}, "j1": j1,
                  "failures": dict(failures)}  # fmt: skip
        entries.append(Entry(f"{label} {name}" if label else f"demo {name}", "demo held-out", report, str(folder),
                             outputs))  # fmt: skip
    return entries


def load_input(spec: str, data_dir: str | os.PathLike[str] | None = None) -> list[Entry]:
    """The entries of one ``j1 report`` input (see the module docstring for the forms)."""
    from j1_plugin.plugins import list_benchmarks

    label, _, rest = spec.rpartition("@") if "@" in spec and not Path(spec).exists() else ("", "", spec)
    label = label or None
    benchmark, colon, file = rest.partition(":")
    if colon and benchmark in list_benchmarks():
        path = Path(file)
        if not path.is_file():
            raise ReportError(f"{spec}: no judgments file {path}")
        data = Path(data_dir) / f"{benchmark}.jsonl" if data_dir is not None else None
        return [_scored_file(label or path.stem, benchmark, path, str(data) if data and data.exists() else None)]
    path = Path(rest)
    if path.is_dir():
        if (path / "results.json").exists() and any(path.glob("judgments-*.jsonl")):
            return _demo_entries(label, path)
        return _lmeval_entries(label, path)
    if path.is_file() and path.name.startswith("samples_") and path.suffix == ".jsonl":
        tasks = _task_benchmarks()
        task = _task_of(path, tasks)
        if task is None:
            raise ReportError(f"{spec}: {path.name} is not the samples file of a J1 task")
        return [_scored_file(label or path.parent.name, tasks[task], path, None)]
    if path.is_file() and path.suffix == ".json":
        report = read_json(path, ReportError)
        if not (isinstance(report, dict) and isinstance(report.get("benchmark"), str) and "j1" in report):
            raise ReportError(f"{spec}: not a `j1 score --json` report (no 'benchmark' and 'j1' keys)")
        return [Entry(label or path.stem, report["benchmark"], report, str(path))]
    if path.is_file():
        raise ReportError(f"{spec}: a judgments file needs its benchmark: write BENCHMARK:{path} "
                          f"(benchmarks: {', '.join(list_benchmarks())})")  # fmt: skip
    raise ReportError(f"{spec}: no such file or folder")


# ----------------------------------------------------------------------------- measures


def thought_words(output: str) -> int:
    """Words the judge wrote in its ``<think>`` block (the whole output when it wrote none)."""
    found = THINK.search(output)
    return len((found.group(1) if found else output).split())


def _labels(entries: Sequence[Entry]) -> list[str]:
    return list(dict.fromkeys(entry.label for entry in entries))


def _benchmarks(entries: Sequence[Entry]) -> list[str]:
    return list(dict.fromkeys(entry.benchmark for entry in entries))


def _flat_official(entry: Entry) -> dict[str, float]:
    official = entry.report.get("official") or {}
    return {key: float(value) for key, value in official.items()
            if isinstance(value, (int, float)) and key != "overall"}  # fmt: skip


# ----------------------------------------------------------------------------- figures


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt.figure(figsize=(width, height), dpi=100)


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def _grouped_bars(ax: Any, groups: Sequence[str], series: Mapping[str, Sequence[float | None]]) -> None:
    count = max(1, len(series))
    width = 0.8 / count
    for k, (name, values) in enumerate(series.items()):
        xs = [g + (k - (count - 1) / 2) * width for g in range(len(groups))]
        ax.bar(xs, [v if v is not None else 0.0 for v in values], width, label=name)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=30 if max(map(len, groups), default=0) > 8 else 0, ha="right"
                       if max(map(len, groups), default=0) > 8 else "center")  # fmt: skip


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, transform=ax.transAxes)
    ax.set_axis_off()


def draw_figures(entries: Sequence[Entry], out: Path) -> dict[str, Path]:
    """Every figure as a PNG file in ``out``; a figure with nothing to show says so in its panel."""
    out.mkdir(parents=True, exist_ok=True)
    labels, benchmarks = _labels(entries), _benchmarks(entries)
    by = {(e.label, e.benchmark): e for e in entries}
    paths = {}

    fig = _figure(max(6.0, 4.2 * len(benchmarks)), 3.8)
    for index, bench in enumerate(benchmarks, start=1):
        ax = fig.add_subplot(1, len(benchmarks), index)
        series = {label: [((by[(label, bench)].report.get("j1") or {}).get(key)) for key, _ in BIAS_KEYS]
                  for label in labels if (label, bench) in by}  # fmt: skip
        _grouped_bars(ax, [name for _, name in BIAS_KEYS], series)
        ax.set_title(bench)
        ax.set_ylim(0, 100)
        ax.set_ylabel("percent")
        ax.legend(fontsize=7)
    paths["position_bias"] = _save(fig, out / "position_bias.png")

    curves = [e for e in entries if len(e.sc_curve) > 1]
    fig = _figure(7.0, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    if curves:
        for entry in curves:
            xs, ys = zip(*entry.sc_curve, strict=True)
            ax.plot(xs, ys, marker="o", label=f"{entry.label} / {entry.benchmark}")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("N (samples per judgment)")
        ax.set_ylabel("official score (percent)")
        ax.set_title("SC@N / Mean-Score@N")
        ax.legend(fontsize=7)
    else:
        _empty(ax, "SC@N: no run with several samples per judgment")
    paths["sc_curves"] = _save(fig, out / "sc_curves.png")

    flat = {key: _flat_official(entry) for key, entry in by.items()}
    detailed = [b for b in benchmarks if any(flat.get((label, b)) for label in labels)]
    fig = _figure(max(6.0, 4.8 * max(1, len(detailed))), 4.2)
    if detailed:
        for index, bench in enumerate(detailed, start=1):
            ax = fig.add_subplot(1, len(detailed), index)
            mine = {label: flat[(label, bench)] for label in labels if (label, bench) in flat}
            keys = list(dict.fromkeys(k for scores in mine.values() for k in scores))
            series = {label: [scores.get(k) for k in keys] for label, scores in mine.items()}
            _grouped_bars(ax, keys, series)
            ax.set_title(f"{bench}: by subset")
            ax.set_ylim(0, 100)
            ax.legend(fontsize=7)
    else:
        _empty(fig.add_subplot(1, 1, 1), "no per-subset scores in these results")
    paths["subsets"] = _save(fig, out / "subsets.png")

    fig = _figure(7.0, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    lengths = {label: [thought_words(o) for e in entries if e.label == label for o in e.outputs] for label in labels}
    lengths = {label: values for label, values in lengths.items() if values}
    if lengths:
        ax.hist(list(lengths.values()), bins=20, label=list(lengths), alpha=0.8)
        ax.set_xlabel("words in <think>")
        ax.set_ylabel("judgments")
        ax.set_title("Length of the judges' thoughts")
        ax.legend(fontsize=7)
    else:
        _empty(ax, "no raw judge outputs in these results")
    paths["thought_length"] = _save(fig, out / "thought_length.png")

    fig = _figure(7.0, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    failures = {label: Counter() for label in labels}
    for entry in entries:
        failures[entry.label].update(entry.report.get("failures") or {})
    reasons = sorted({reason for counts in failures.values() for reason in counts})
    if reasons:
        _grouped_bars(ax, reasons, {label: [float(failures[label][r]) for r in reasons] for label in labels})
        ax.set_ylabel("failed judgments")
        ax.set_title("Parse failures by reason")
        ax.legend(fontsize=7)
    else:
        _empty(ax, "no parse failures")
    paths["parse_failures"] = _save(fig, out / "parse_failures.png")
    return paths


# ----------------------------------------------------------------------------- tables and pages


def _cell(value: Any) -> str:
    return "–" if value is None else f"{value:.1f}" if isinstance(value, float) else str(value)


def overview_rows(entries: Sequence[Entry]) -> list[list[str]]:
    header = ["judge", "benchmark", "pairs", "official overall", "(a,b)", "(b,a)", "consistent", "flip", "parse fail"]
    rows = [header]
    for e in entries:
        j1 = e.report.get("j1") or {}
        overall = (e.report.get("official") or {}).get("overall")
        rows.append([e.label, e.benchmark, _cell(e.report.get("pairs")), _cell(overall)] +
                    [_cell(j1.get(k)) for k in ("ab_accuracy", "ba_accuracy", "consistent_accuracy", "flip_rate",
                                                "parse_failure_rate")])  # fmt: skip
    return rows


def paper_rows(entries: Sequence[Entry]) -> list[list[str]]:
    """The paper's headline table, then each judge of these results on the same columns."""
    rows = [["judge", *(name for _, name in PAPER_COLUMNS)]]
    for name, values in PAPER_ROWS.items():
        rows.append([name, *(_cell(v) for v in values)])
    for label in _labels(entries):
        mine = {e.benchmark: e.paper_value for e in entries if e.label == label}
        if any(bench in mine for bench, _ in PAPER_COLUMNS):
            rows.append([label, *(_cell(mine.get(bench)) for bench, _ in PAPER_COLUMNS)])
    return rows


def _markdown_table(rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def _html_table(rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


PAPER_NOTE = (
    "Percent, with the paper's protocol: the official score over one random order per pair for PPE, "
    "RewardBench and RM-Bench, and position-consistent accuracy (right in both orders) for JudgeBench "
    "and FollowBenchEval."
)
CAPTIONS = {
    "position_bias": "Position bias per benchmark: accuracy with the chosen response first (a,b) and second "
    "(b,a), correct in both orders (consistent), and the verdict flip rate.",
    "sc_curves": "Test-time scaling: the official score with the first N samples per judgment.",
    "subsets": "Official scores by subset, section or domain.",
    "thought_length": "Words in each judgment's <think> block.",
    "parse_failures": "Judgments whose output did not follow the format, by reason.",
}
PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
    "td:first-child,th:first-child{text-align:left}figure{margin:2em 0}img{max-width:100%}"
    "figcaption{color:#555;font-size:90%}"
)


def write_report(entries: Sequence[Entry], out: str | os.PathLike[str], title: str = "J1 judges") -> dict[str, Path]:
    """``report.html``, ``report.md`` and the figures in ``out``; returns their paths."""
    if not entries:
        raise ReportError("nothing to report: no input gave results")
    out = Path(out)
    paths = draw_figures(entries, out)
    sources = sorted({e.source for e in entries})
    overview, paper = overview_rows(entries), paper_rows(entries)
    figures_html = "".join(
        f'<figure id="{name}"><img alt="{html.escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(path.read_bytes()).decode()}"><figcaption>{html.escape(CAPTIONS[name])}</figcaption>'
        "</figure>"
        for name, path in paths.items()
    )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{PAGE_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<h2>Results</h2>{_html_table(overview)}"
        f"<h2>Beside the J1 paper</h2><p>{html.escape(PAPER_NOTE)}</p>{_html_table(paper)}"
        f"<h2>Figures</h2>{figures_html}"
        "<h2>Inputs</h2><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in sources) + "</ul>"
        # Lets a browser test read how many figures decoded, without a screen.
        "<script>addEventListener('load',()=>{document.body.dataset.figuresLoaded="
        "[...document.images].filter(i=>i.complete&&i.naturalWidth>0).length})</script>"
        "</body></html>"
    )
    (out / "report.html").write_text(page, encoding="utf-8")
    markdown = [f"# {title}", "", "## Results", "", _markdown_table(overview), "", "## Beside the J1 paper", "",
                PAPER_NOTE, "", _markdown_table(paper), "", "## Figures", ""]  # fmt: skip
    for name, path in paths.items():
        markdown += [f"![{name}]({path.name})", "", CAPTIONS[name], ""]
    markdown += ["## Inputs", "", *(f"- {s}" for s in sources), ""]
    (out / "report.md").write_text("\n".join(markdown), encoding="utf-8")
    return {"html": out / "report.html", "markdown": out / "report.md", **paths}


def report_json(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """The numbers behind the page, one object per entry (for ``j1 report --json``)."""
    return [{"judge": e.label, "benchmark": e.benchmark, "headline": e.headline, "source": e.source,
             "official": e.report.get("official"), "j1": e.report.get("j1"), "failures": e.report.get("failures"),
             "sc_curve": e.sc_curve, "outputs": len(e.outputs)} for e in entries]  # fmt: skip


__all__ = ["Entry", "ReportError", "draw_figures", "load_input", "report_json", "thought_words", "write_report"]
