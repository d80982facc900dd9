"""Train a real judge with the J1 recipe on a CPU and measure it on held-out pairs.

The run, for any recipe (:data:`DEMO` for ``make demo``, :data:`LONG` for the learning-curve
benchmark):

1. judge the held-out pairs with the base model (greedy, both orders);
2. format warm-up: a short SFT on the *training* pairs whose targets follow the output contract
   with a reasoning scaffold and a **random** verdict, so it teaches the shape of an answer and
   nothing about which response is better; judge the held-out pairs again;
3. position-agnostic GRPO (:class:`~j1_plugin.trainers.grpo.PairedGRPOTrainer`, both orders of
   every pair in each generation batch, the verdict reward) on the training pairs, judging the
   held-out pairs every ``eval_every`` steps when asked (the learning curve);
4. judge the held-out pairs with the trained model.

Only the top ``trainable_layers`` transformer layers (and the final norm) are trained, in warm-up
and GRPO alike: on two CPU cores this is what makes a 135M-parameter model trainable in minutes.
The held-out pairs come from :func:`j1_plugin.demo.pairs.judgment_pairs`, whose items never
appear in training.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from j1_plugin.demo.heldout import HeldoutResult, judge_heldout
from j1_plugin.demo.pairs import judgment_pairs
from j1_plugin.formats import JudgmentFormat
from j1_plugin.judges import HFJudge, Sampling
from j1_plugin.plugins import get_format

JUDGE_BATCH = 34  # held-out requests generated together (a quarter of the 136 requests of 68 pairs)
PROMPT_FILES = {"pav": "judge_prompt.txt", "pos": "judge_prompt_pos.txt"}
REWARDS = {"pav": "verdict_reward", "pos": "pointwise_reward"}


def judge_prompt_path(fmt: str = "pav") -> Path:
    """The demo's compact prompt for ``fmt`` (our wording; J1's output tags), shipped with the package."""
    if fmt not in PROMPT_FILES:
        raise ValueError(f"the demo has prompts for {', '.join(PROMPT_FILES)}; got format {fmt!r}")
    return Path(str(resources.files("j1_plugin.demo").joinpath(PROMPT_FILES[fmt])))


def assessment_reasoning(decision: str | int) -> str:
    """A reasoning scaffold that assesses the response(s), then agrees with ``decision``.

    ``decision`` is a pairwise verdict letter, or a pointwise score (above 5 reads as correct).

    >>> assessment_reasoning("B")
    "Assistant A's answer is correct: no. Assistant B's answer is correct: yes."
    >>> assessment_reasoning(7)
    "The assistant's answer is correct: yes."
    """
    if isinstance(decision, int):
        return f"The assistant's answer is correct: {'yes' if decision > 5 else 'no'}."
    marks = {side: "yes" if side == decision else "no" for side in "AB"}
    return f"Assistant A's answer is correct: {marks['A']}. Assistant B's answer is correct: {marks['B']}."


@dataclass(frozen=True)
class Recipe:
    """Sizes and rates of one run (see the module docstring for the stages)."""

    name: str
    format: str = "pav"
    trainable_layers: int = 6
    warmup_steps: int = 20
    warmup_learning_rate: float = 1e-4
    grpo_steps: int = 12
    pairs_per_step: int = 2
    num_generations: int = 4
    learning_rate: float = 5e-5
    max_completion_length: int = 40
    eval_every: int = 0
    grpo_minutes: float | None = None
    heldout_limit: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.format not in PROMPT_FILES:
            raise ValueError(f"Recipe.format must be one of {', '.join(PROMPT_FILES)}; got {self.format!r}")
        if self.grpo_minutes is not None and self.grpo_minutes <= 0:
            raise ValueError(f"Recipe.grpo_minutes must be positive (or None for no limit); got {self.grpo_minutes}")


# Sized for about 10 minutes on 2 idle CPU cores.
DEMO = Recipe("demo", warmup_steps=16, grpo_steps=8)
# At most 200 steps and 50 minutes of GRPO (held-out checks included), whichever comes first.
LONG = Recipe("long", grpo_steps=200, eval_every=15, grpo_minutes=50)


@dataclass
class Run:
    """Everything a run measured, and where it put its files."""

    recipe: Recipe
    base: HeldoutResult
    warmup: HeldoutResult
    trained: HeldoutResult
    base_judge: Path
    trained_judge: Path
    out_dir: Path
    seconds: dict[str, float] = field(default_factory=dict)
    curve: list[dict[str, Any]] = field(default_factory=list)
    grpo_log: list[dict[str, Any]] = field(default_factory=list)


def set_threads(threads: int | None = None) -> int:
    """Use ``threads`` torch/OpenMP threads (default ``$J1_THREADS``, else every core); returns the count."""
    import torch

    count = threads or int(os.environ.get("J1_THREADS", "0")) or os.cpu_count() or 1
    torch.set_num_threads(count)
    return count


def train_top_layers(model: Any, count: int) -> int:
    """Freeze every parameter but the top ``count`` decoder layers and the final norm; returns trainable numbers."""
    layers = model.model.layers
    if not 1 <= count <= len(layers):
        raise ValueError(f"trainable_layers must lie in 1..{len(layers)}, got {count}")
    for parameter in model.parameters():
        parameter.requires_grad = False
    for module in [*layers[-count:], model.model.norm]:
        for parameter in module.parameters():
            parameter.requires_grad = True
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _grpo(
    model: Any,
    tokenizer: Any,
    pairs: list,
    fmt_template: Path,
    recipe: Recipe,
    out: Path,
    callbacks: list,
    progress: bool = False,
) -> Any:
    from transformers import PrinterCallback
    from trl import GRPOConfig

    from j1_plugin import rewards
    from j1_plugin.trainers import CPU_SMOKE_SETTINGS
    from j1_plugin.trainers.callbacks import show_bar_only
    from j1_plugin.trainers.grpo import PairedGRPOTrainer
    from j1_plugin.training_data import build_judgment_dataset

    dataset, _ = build_judgment_dataset(pairs, recipe.format, template=fmt_template)
    args = GRPOConfig(
        output_dir=str(out),
        max_steps=recipe.grpo_steps,
        per_device_train_batch_size=2 * recipe.num_generations * recipe.pairs_per_step,
        num_generations=recipe.num_generations,
        max_completion_length=recipe.max_completion_length,
        temperature=1.0,
        learning_rate=recipe.learning_rate,
        lr_scheduler_type="constant",
        beta=0.0,
        logging_steps=1,
        seed=recipe.seed,
        **{**CPU_SMOKE_SETTINGS, "disable_tqdm": not progress},
    )
    trainer = PairedGRPOTrainer(
        model=model,
        reward_funcs=[getattr(rewards, REWARDS[recipe.format])],
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=callbacks,
    )
    trainer.remove_callback(PrinterCallback)
    show_bar_only(trainer)
    trainer.train()
    return trainer


def run_learning(
    model_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    recipe: Recipe = DEMO,
    *,
    echo: Callable[[str], None] = print,
    progress: bool = False,
) -> Run:
    """Run ``recipe`` on the judge in ``model_dir``; files go to ``out_dir`` (see the module docstring).

    ``progress`` shows progress bars for judging, the warm-up and GRPO (on stderr).
    """
    from transformers import TrainerCallback

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    setup = _Judging.load(model_dir, recipe, progress)
    fmt, model, tokenizer, heldout, train = setup.fmt, setup.model, setup.tokenizer, setup.heldout, setup.train
    evaluate = setup.evaluate
    seconds: dict[str, float] = {}

    def timed(stage: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        seconds[stage] = round(time.perf_counter() - started, 1)
        return result

    how = "each response on its own" if fmt.kind == "pointwise" else "in both orders"
    echo(f"[1/4] judging {len(heldout)} held-out pairs {how} with the base model (greedy)...")
    base = timed("base_eval", lambda: evaluate("base"))
    echo(f"      {_brief(base)} ({seconds['base_eval']:.0f} s)")

    trainable = train_top_layers(model, recipe.trainable_layers)
    decisions = "scores" if fmt.kind == "pointwise" else "verdicts"
    echo(
        f"[2/4] format warm-up: {recipe.warmup_steps} SFT steps on {len(train)} training pairs, random {decisions}; "
        f"training the top {recipe.trainable_layers} layers ({trainable / 1e6:.1f}M parameters)..."
    )
    timed("warmup", lambda: setup.fine_tune(out / "warmup-judge", recipe.warmup_steps, truthful=False))
    warmup = timed("warmup_eval", lambda: evaluate("warm-up only"))
    echo(f"      {_brief(warmup)} (warm-up {seconds['warmup']:.0f} s, judging {seconds['warmup_eval']:.0f} s)")

    curve: list[dict[str, Any]] = []
    grpo_started = time.perf_counter()

    class HeldoutCurve(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if recipe.eval_every and state.global_step % recipe.eval_every == 0:
                point = evaluate(f"step {state.global_step}")
                curve.append({"step": state.global_step, **point.summary()})
                echo(f"      step {state.global_step}: {_brief(point)}")
                model.train()
            minutes = (time.perf_counter() - grpo_started) / 60
            if recipe.grpo_minutes is not None and minutes >= recipe.grpo_minutes and not control.should_training_stop:
                budget = f"the {recipe.grpo_minutes:g}-minute GRPO budget is spent"
                echo(f"      stopping after step {state.global_step}: {budget}")
                control.should_training_stop = True

    halves = "both responses" if fmt.kind == "pointwise" else "both orders"
    echo(
        f"[3/4] GRPO: {recipe.grpo_steps} steps x {recipe.pairs_per_step} pairs ({halves} in the same batch), "
        f"{recipe.num_generations} rollouts each at temperature 1.0, {REWARDS[recipe.format]}..."
    )
    trainer = timed(
        "grpo",
        lambda: _grpo(model, tokenizer, train, setup.template, recipe, out / "grpo", [HeldoutCurve()], progress),
    )
    trained_dir = out / "trained-judge"
    trainer.save_model(str(trained_dir))
    tokenizer.save_pretrained(str(trained_dir))
    echo(f"      {_rollout_summary(trainer.state.log_history, REWARDS[recipe.format])} ({seconds['grpo']:.0f} s)")

    echo("[4/4] judging the held-out pairs with the trained model...")
    trained = timed("trained_eval", lambda: evaluate("after GRPO"))
    echo(f"      {_brief(trained)} ({seconds['trained_eval']:.0f} s)")

    seconds["grpo_steps"] = trainer.state.global_step
    run = Run(recipe, base, warmup, trained, Path(model_dir), trained_dir, out, seconds, curve,
              list(trainer.state.log_history))  # fmt: skip
    write_artefacts(run)
    return run


def supervised_bound(
    model_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    recipe: Recipe = DEMO,
    *,
    steps: int = 40,
    echo: Callable[[str], None] = print,
) -> HeldoutResult:
    """Held-out result of a supervised baseline: SFT of the recipe's layers on the *right* decisions.

    Same prompts, scaffold, layers and learning rate as the warm-up, ``steps`` steps, but every target
    names the better response. It bounds what this model can learn from these pairs at this budget, so
    a flat GRPO curve can be read: if the labels themselves teach little, the limit is the model.
    """
    setup = _Judging.load(model_dir, recipe)
    trainable = train_top_layers(setup.model, recipe.trainable_layers)
    echo(f"supervised baseline: {steps} SFT steps on the right decisions, top {recipe.trainable_layers} layers "
         f"({trainable / 1e6:.1f}M parameters)...")  # fmt: skip
    setup.fine_tune(Path(out_dir) / "supervised-judge", steps, truthful=True)
    result = setup.evaluate("supervised")
    echo(f"      {_brief(result)}")
    return result


@dataclass
class _Judging:
    """What every stage of a run shares: the format, the judge model and its tokenizer, the pairs."""

    recipe: Recipe
    template: Path
    fmt: JudgmentFormat
    model: Any
    tokenizer: Any
    heldout: list
    train: list
    progress: bool = False

    @classmethod
    def load(cls, model_dir: str | os.PathLike[str], recipe: Recipe, progress: bool = False) -> _Judging:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        template = judge_prompt_path(recipe.format)
        return cls(
            recipe=recipe,
            template=template,
            fmt=get_format(recipe.format, template=template),
            model=AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32),
            tokenizer=AutoTokenizer.from_pretrained(model_dir),
            heldout=judgment_pairs("heldout", seed=recipe.seed, limit=recipe.heldout_limit),
            train=judgment_pairs("train", seed=recipe.seed),
            progress=progress,
        )

    def evaluate(self, name: str) -> HeldoutResult:
        """The held-out pairs judged greedily by the model as it is now (the judge sets eval mode, left padding)."""
        judge = HFJudge(self.model, self.tokenizer, device="cpu", batch_size=JUDGE_BATCH)
        sampling = Sampling(max_new_tokens=self.recipe.max_completion_length)
        return judge_heldout(name, judge, self.fmt, self.heldout, sampling, chunk=JUDGE_BATCH, progress=self.progress)

    def fine_tune(self, out: Path, steps: int, *, truthful: bool) -> None:
        """SFT on the training pairs with the scaffold: random decisions (the warm-up) or the right ones."""
        from j1_plugin.trainers.warmup import format_warmup

        recipe = self.recipe
        format_warmup(
            self.model, out, self.train, formats=[self.fmt], reasoning=assessment_reasoning, tokenizer=self.tokenizer,
            steps=steps, learning_rate=recipe.warmup_learning_rate, seed=recipe.seed, progress=self.progress,
            truthful=truthful,
        )  # fmt: skip


def _brief(result: HeldoutResult) -> str:
    metrics = result.metrics
    shown = []
    for key, label in (("consistent_accuracy", "consistent"), ("ab_accuracy", "(a,b)"), ("ba_accuracy", "(b,a)"),
                       ("parse_failure_rate", "parse failures")):  # fmt: skip
        value = metrics[key]
        shown.append(f"{label} {'n/a' if value is None else f'{value:.1f}%'}")
    return ", ".join(shown)


def _rollout_summary(history: list[dict[str, Any]], reward: str) -> str:
    key = f"rewards/{reward}/mean"
    logged = [entry for entry in history if key in entry]
    if not logged:
        return "no rollout reward was logged"
    head, tail = logged[: max(1, len(logged) // 4)], logged[-max(1, len(logged) // 4) :]

    def mean(entries: list[dict[str, Any]], key: str) -> float:
        values = [entry[key] for entry in entries if key in entry]
        return 100 * sum(values) / len(values) if values else float("nan")

    return (
        f"sampled rollouts, first -> last quarter of steps: {reward} "
        f"{mean(head, key):.0f}% -> {mean(tail, key):.0f}%, "
        f"parse failures {mean(head, 'j1/parse_failure_rate'):.0f}% -> {mean(tail, 'j1/parse_failure_rate'):.0f}%"
    )


def write_artefacts(run: Run) -> dict[str, Path]:
    """Held-out judgments of every stage (JSONL) and the run's numbers (JSON) in ``run.out_dir``."""
    paths = {}
    for result, stem in ((run.base, "base"), (run.warmup, "warmup"), (run.trained, "trained")):
        path = run.out_dir / f"judgments-{stem}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for request, judgment in result.judged:
                handle.write(json.dumps({"pair_id": request.pair_id, "order": request.order, "side": request.side,
                                         "output": judgment.raw, "score": judgment.score if request.side else None,
                                         "status": judgment.status.value, "reason_code": judgment.reason_code,
                                         "verdict": judgment.verdict, "label": request.label}) + "\n")  # fmt: skip
        paths[stem] = path
    summary = run.out_dir / "results.json"
    summary.write_text(
        json.dumps(
            {"recipe": asdict(run.recipe), "seconds": run.seconds, "before": run.base.summary(),
             "warmup": run.warmup.summary(), "after": run.trained.summary(), "curve": run.curve},
            indent=2,
        ),
        "utf-8",
    )  # fmt: skip
    paths["results"] = summary
    return paths
