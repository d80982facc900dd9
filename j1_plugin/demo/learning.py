"""Train a real judge with the J1 recipe on a CPU and measure it on held-out pairs.

The run, for any recipe (:data:`DEMO` for ``make demo``, :data:`LONG` for the learning-curve
benchmark):

1. judge the held-out pairs with the base model (greedy, both orders);
2. warm-up: the judge prompt asks the judge to answer the question itself first, then mark each
   response as matching its answer or not, then name the one that matches
   (:mod:`j1_plugin.demo.reference`). The model answers the *training* questions itself, and a
   short SFT teaches the procedure on those answers: the reference is the model's own and the
   verdict follows from comparing it with each response, so no label is used (prompts whose own
   answer matches neither response are left out and counted). Judge the held-out pairs again;
3. position-agnostic GRPO (:class:`~j1_plugin.trainers.grpo.PairedGRPOTrainer`, both orders of
   every pair in each generation batch, the verdict or J1's consistency reward) on the training
   pairs, judging the held-out pairs every ``eval_every`` steps when asked (the learning curve);
4. judge the held-out pairs with the trained model.

``Recipe.warmup="random"`` keeps the earlier warm-up (a fixed scaffold with a random verdict) and
``Recipe.prompt="compact"`` the earlier prompt, for comparison. ``Recipe.trainable_layers`` trains
the top layers only (``None``: every parameter). The held-out pairs come from
:func:`j1_plugin.demo.pairs.judgment_pairs`, whose items never appear in training.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from j1_plugin.demo.heldout import HeldoutResult, judge_heldout
from j1_plugin.demo.pairs import judgment_pairs
from j1_plugin.formats import JudgmentFormat
from j1_plugin.judges import HFJudge, Sampling
from j1_plugin.plugins import get_format

JUDGE_BATCH = 136  # held-out requests generated together: all 136 of 68 pairs (on a CPU, one big batch decodes fastest)
PROMPT_FILES = {
    ("reference", "pav"): "judge_prompt_reference.txt",
    ("reference", "pos"): "judge_prompt_reference_pos.txt",
    ("compact", "pav"): "judge_prompt.txt",
    ("compact", "pos"): "judge_prompt_pos.txt",
}
PROMPTS = ("reference", "compact")
WARMUPS = ("own-answer", "random")
REWARDS = {"pav": "verdict_reward", "pos": "pointwise_reward"}


def judge_prompt_path(fmt: str = "pav", prompt: str = "reference") -> Path:
    """The demo's ``prompt`` for ``fmt`` (our wording; J1's output tags), shipped with the package."""
    if (prompt, fmt) not in PROMPT_FILES:
        raise ValueError(f"the demo has prompts {', '.join(PROMPTS)} for formats pav, pos; got {prompt!r}, {fmt!r}")
    return Path(str(resources.files("j1_plugin.demo").joinpath(PROMPT_FILES[prompt, fmt])))


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
    """Sizes and rates of one run (see the module docstring for the stages).

    ``prompt`` picks the judge prompt: ``"reference"`` asks the judge to answer the question itself
    first and compare each response with its answer; ``"compact"`` only asks it to check the answers.
    ``warmup`` picks the warm-up targets: ``"own-answer"`` (the reference procedure with the model's
    own answers as references, see :mod:`j1_plugin.demo.reference`) or ``"random"`` (a scaffold and a
    random decision). ``trainable_layers`` of ``None`` trains every parameter. ``reward`` is
    ``"verdict"`` (each order rewarded on its own) or ``"consistency"`` (J1's: a verdict earns 1 only
    when the same pair is right in both orders).
    """

    name: str
    format: str = "pav"
    prompt: str = "reference"
    warmup: str = "own-answer"
    trainable_layers: int | None = None
    warmup_steps: int = 20
    warmup_epochs: float = 2.0
    warmup_learning_rate: float = 2e-5
    grpo_steps: int = 12
    pairs_per_step: int = 2
    num_generations: int = 4
    learning_rate: float = 2e-6
    temperature: float = 1.0
    reward: str = "verdict"
    max_completion_length: int = 96
    eval_every: int = 0
    grpo_minutes: float | None = None
    heldout_limit: int | None = None
    train_limit: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        choices = {"format": ("pav", "pos"), "prompt": PROMPTS, "warmup": WARMUPS, "reward": ("verdict", "consistency")}
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                raise ValueError(f"Recipe.{key} must be one of {', '.join(allowed)}; got {getattr(self, key)!r}")
        if self.reward == "consistency" and self.format != "pav":
            raise ValueError("Recipe.reward 'consistency' needs the pairwise format 'pav'")
        if self.grpo_minutes is not None and self.grpo_minutes <= 0:
            raise ValueError(f"Recipe.grpo_minutes must be positive (or None for no limit); got {self.grpo_minutes}")

    @property
    def reward_name(self) -> str:
        """The reward function's name in :mod:`j1_plugin.rewards`."""
        if self.reward == "consistency":
            return "consistency_reward"
        return REWARDS[self.format]


# The benchmark's recipe: two warm-up epochs, then at most 200 GRPO steps and 25 minutes of GRPO
# (held-out checks every 10 steps included), whichever comes first, at J1's learning rate (1e-6):
# at 1e-5 GRPO undid the warm-up's gain within 10 steps (README, "What the demo shows").
LONG = Recipe("long", warmup_epochs=2.0, learning_rate=1e-6, grpo_steps=200, eval_every=10, grpo_minutes=25)
# The same recipe with a few GRPO steps and no held-out checks during GRPO, for ``make demo``.
DEMO = replace(LONG, name="demo", grpo_steps=4, eval_every=0, grpo_minutes=None)


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


def train_top_layers(model: Any, count: int | None) -> int:
    """Freeze every parameter but the top ``count`` decoder layers and the final norm; returns trainable numbers.

    ``count`` of ``None`` trains every parameter.
    """
    if count is None:
        for parameter in model.parameters():
            parameter.requires_grad = True
        return sum(p.numel() for p in model.parameters())
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
    device: str = "cpu",
) -> Any:
    from transformers import PrinterCallback
    from trl import GRPOConfig

    from j1_plugin import rewards
    from j1_plugin.trainers import small_run_settings
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
        temperature=recipe.temperature,
        learning_rate=recipe.learning_rate,
        lr_scheduler_type="constant",
        beta=0.0,
        logging_steps=1,
        seed=recipe.seed,
        **{**small_run_settings(device), "disable_tqdm": not progress},
    )
    trainer = PairedGRPOTrainer(
        model=model,
        reward_funcs=[getattr(rewards, recipe.reward_name)],
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
    device: str = "cpu",
) -> Run:
    """Run ``recipe`` on the judge in ``model_dir``; files go to ``out_dir`` (see the module docstring).

    ``progress`` shows progress bars for judging, the warm-up and GRPO (on stderr). ``device`` is
    ``"cpu"`` (float32) or ``"cuda"`` (bfloat16): the same recipe on a GPU.
    """
    from transformers import TrainerCallback

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    setup = _Judging.load(model_dir, recipe, progress, device)
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
    layers = "every layer" if recipe.trainable_layers is None else f"the top {recipe.trainable_layers} layers"
    if recipe.warmup == "own-answer":
        echo(f"[2/4] warm-up: the model answers the {len(train)} training questions itself, then learns to compare "
             f"each response with its own answer (no labels used); training {layers} "
             f"({trainable / 1e6:.1f}M parameters)...")  # fmt: skip
    else:
        decisions = "scores" if fmt.kind == "pointwise" else "verdicts"
        echo(f"[2/4] format warm-up: {recipe.warmup_steps} SFT steps on {len(train)} training pairs, random "
             f"{decisions}; training {layers} ({trainable / 1e6:.1f}M parameters)...")  # fmt: skip
    note = timed("warmup", lambda: setup.fine_tune(out / "warmup-judge", truthful=False))
    if note:
        echo(f"      {note}")
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
        f"{recipe.num_generations} rollouts each at temperature {recipe.temperature:g}, {recipe.reward_name}..."
    )
    trainer = timed(
        "grpo",
        lambda: _grpo(
            model, tokenizer, train, setup.template, recipe, out / "grpo", [HeldoutCurve()], progress, device
        ),
    )
    trained_dir = out / "trained-judge"
    trainer.save_model(str(trained_dir))
    tokenizer.save_pretrained(str(trained_dir))
    echo(f"      {_rollout_summary(trainer.state.log_history, recipe.reward_name)} ({seconds['grpo']:.0f} s)")

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
    steps: int | None = None,
    echo: Callable[[str], None] = print,
    device: str = "cpu",
) -> HeldoutResult:
    """Held-out result of a supervised baseline: SFT of the recipe's layers on the *right* decisions.

    Same prompts, scaffold, layers and learning rate as the warm-up, ``steps`` steps, but every target
    names the better response. It bounds what this model can learn from these pairs at this budget, so
    a flat GRPO curve can be read: if the labels themselves teach little, the limit is the model.
    """
    setup = _Judging.load(model_dir, recipe, device=device)
    trainable = train_top_layers(setup.model, recipe.trainable_layers)
    layers = "every layer" if recipe.trainable_layers is None else f"the top {recipe.trainable_layers} layers"
    echo(f"supervised baseline: SFT on the right decisions, {layers} ({trainable / 1e6:.1f}M parameters)...")
    note = setup.fine_tune(Path(out_dir) / "supervised-judge", truthful=True, steps=steps)
    if note:
        echo(f"      {note}")
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
    device: str = "cpu"
    history: list[dict[str, Any]] = field(default_factory=list)  # the warm-up's log entries (loss curve)

    @classmethod
    def load(
        cls, model_dir: str | os.PathLike[str], recipe: Recipe, progress: bool = False, device: str = "cpu"
    ) -> _Judging:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
        if device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' was asked for, but torch sees no CUDA GPU")
        dtype = torch.float32 if device == "cpu" else torch.bfloat16
        template = judge_prompt_path(recipe.format, recipe.prompt)
        return cls(
            recipe=recipe,
            template=template,
            fmt=get_format(recipe.format, template=template),
            model=AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).to(device),
            tokenizer=AutoTokenizer.from_pretrained(model_dir),
            heldout=judgment_pairs("heldout", seed=recipe.seed, limit=recipe.heldout_limit),
            train=judgment_pairs("train", seed=recipe.seed, limit=recipe.train_limit),
            progress=progress,
            device=device,
        )

    def evaluate(self, name: str) -> HeldoutResult:
        """The held-out pairs judged greedily by the model as it is now (the judge sets eval mode, left padding)."""
        judge = HFJudge(self.model, self.tokenizer, device=self.device, batch_size=JUDGE_BATCH)
        sampling = Sampling(max_new_tokens=self.recipe.max_completion_length)
        return judge_heldout(name, judge, self.fmt, self.heldout, sampling, chunk=JUDGE_BATCH, progress=self.progress)

    def fine_tune(self, out: Path, *, truthful: bool, steps: int | None = None) -> str:
        """SFT on the training pairs; returns a line on what the targets held (empty for the scaffold warm-up).

        ``own-answer`` warm-up: the reference procedure with the model's own answers as references
        (``truthful``: the better response as the reference, a supervised bound). ``random``: the
        scaffold with a random decision (``truthful``: the right one). ``steps`` overrides the
        recipe's warm-up length.
        """
        from j1_plugin.demo.reference import own_answer_targets, own_answers, short_reference
        from j1_plugin.trainers.warmup import format_warmup

        recipe = self.recipe
        settings = {"tokenizer": self.tokenizer, "learning_rate": recipe.warmup_learning_rate, "seed": recipe.seed,
                    "progress": self.progress, "history": self.history, "device": self.device}  # fmt: skip
        if recipe.warmup == "random":
            format_warmup(self.model, out, self.train, formats=[self.fmt], reasoning=assessment_reasoning,
                          steps=steps or recipe.warmup_steps, truthful=truthful, **settings)  # fmt: skip
            return ""
        if truthful:
            references = {pair.id: short_reference(pair.chosen) for pair in self.train}
        else:
            judge = HFJudge(self.model, self.tokenizer, device=self.device, batch_size=64)
            answers = own_answers(judge, [pair.prompt for pair in self.train])
            references = {pair.id: answer for pair, answer in zip(self.train, answers, strict=True)}
        targets = own_answer_targets(self.train, self.fmt, references)
        if not targets.rows:
            raise RuntimeError(
                f"the model's own answers to the {len(self.train)} training questions match neither response of any "
                "pair, so the own-answer warm-up has nothing to teach; a model that cannot answer them (a random "
                "tiny judge, say) needs Recipe(warmup='random')"
            )
        self.model.train()
        format_warmup(self.model, out, self.train, rows=targets.rows, epochs=None if steps else recipe.warmup_epochs,
                      steps=steps or 1, **settings)  # fmt: skip
        kept = len(targets.rows)
        return (
            f"{kept} judgment prompts answered by the procedure ({targets.undecided} left out: the reference agreed "
            f"with neither response more); its decision names the better response in {targets.agreeing_with_label}"
            f"/{kept} (never used for training)"
        )


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
