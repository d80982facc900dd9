"""Record real outputs of the embedded default judge for the golden parser set (tests/data/golden_outputs.jsonl).

The judge is SmolLM2-135M-Instruct (:func:`j1_plugin.models.model_path`), run on CPU in float32 with one
thread through the project's own ``hf`` backend (:class:`j1_plugin.judges.hf.HFJudge`), one prompt at a
time (no padding, so an output does not depend on its batch). The prompts are the built-in formats'
templates rendered on project-made pairs: two verifiable sums (``arithmetic_pairs(2, seed=0)``) and the
first four held-out demo pairs (``judgment_pairs("heldout", limit=4)``: a sum, a capital, a category, a
topic). Pairwise formats alternate the order shown (AB for the 1st pair, BA for the 2nd, ...), ``pos``
alternates the side (chosen, rejected, ...). Every prompt is decoded greedily and sampled at
temperature 1.0 (top_p 1.0, as in J1's GRPO rollouts) with seeds 1 and 2, for :data:`MAX_NEW_TOKENS`.

The model almost never opens a reasoning tag by itself, so the prompts of :data:`PREFILLED_PAIRS` are
also decoded with the assistant turn pre-filled with the format's first reasoning tag (``<think>``, or
``<plan>`` for ``pav-plan``), as lm-eval's ``gen_prefix`` does; the recorded output is then the prefix
plus the continuation, the whole text the judge wrote and the parser must read.

Only the text is recorded here. The expected parse result of each row (``status``, ``reason_code``,
``verdict``, ``scores``) and its ``note`` are written by hand, by reading the output against the J1 output
contract (:mod:`j1_plugin.formats.parsing`, README "Parsing rules"), never by running the parser; rows
marked ``"edited": true`` are real outputs minimally hand-edited into well-formed judgments.

Usage (offline, one thread; about 25 minutes on one CPU core)::

    .venv/bin/python tests/data/record_golden.py --out /tmp/recorded.jsonl   # record every planned output
    .venv/bin/python tests/data/record_golden.py --out /tmp/some.jsonl --only pav/ prefill
    .venv/bin/python tests/data/record_golden.py --check                     # re-record, compare with golden
    .venv/bin/python tests/data/record_golden.py --check --only pav/sum-0/   # the same for some rows

``--check`` regenerates the non-edited rows of the golden file and reports any output that differs
(greedy decoding and seeded sampling are deterministic for one torch build on one CPU type).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from j1_plugin.benchmarks.synthetic import arithmetic_pairs
from j1_plugin.demo.pairs import judgment_pairs
from j1_plugin.records import JudgmentRequest, PreferencePair

GOLDEN = Path(__file__).with_name("golden_outputs.jsonl")
FORMATS = ("pav", "pas", "pavs", "pos", "pav-plan")
MAX_NEW_TOKENS = 96
TEMPERATURE = 1.0
TOP_P = 1.0
SEEDS = (1, 2)
PREFILLED_PAIRS = (0, 1, 3, 4)  # indices into golden_pairs(): sum-0, sum-1, capital-Kenya, category-shelf
# More prefilled samples of the verdict formats on two pairs (sum-0, capital-Kenya): there the model
# tries the answer syntax ([[A]], unclosed <answer>, [[1]], </thinking>) most often.
EXTRA_SEEDS = tuple(range(3, 9))
EXTRA_SEED_FORMATS = ("pav", "pav-plan")
EXTRA_SEED_PAIRS = (0, 3)
GREEDY = {"temperature": 0.0, "seed": None}
# Set before torch is first imported (in load_judge): one thread, no hub.
ENVIRONMENT = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
               "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}  # fmt: skip


def golden_pairs() -> list[PreferencePair]:
    """The project-made pairs the prompts are rendered on, in plan order."""
    return arithmetic_pairs(2, seed=0) + judgment_pairs("heldout", limit=4)


def decoding_id(decoding: dict[str, Any]) -> str:
    """``greedy`` or ``t1-seed2``, after ``prefill-`` when the assistant turn was pre-filled."""
    plain = "greedy" if decoding["temperature"] == 0 else f"t{decoding['temperature']:g}-seed{decoding['seed']}"
    return f"prefill-{plain}" if decoding.get("prefill") else plain


def planned_requests() -> Iterator[tuple[str, JudgmentRequest, dict[str, Any]]]:
    """(row id, request, decoding) of every recorded output, in a fixed order."""
    from j1_plugin import get_format

    for name in FORMATS:
        fmt = get_format(name)
        prefill = f"<{fmt.reasoning_tags[0]}>"
        for index, pair in enumerate(golden_pairs()):
            request = fmt.requests(pair)[index % 2]
            shown = request.order or request.side
            prefills = [None, prefill] if index in PREFILLED_PAIRS else [None]
            for start in prefills:
                extra = start is not None and name in EXTRA_SEED_FORMATS and index in EXTRA_SEED_PAIRS
                seeds = SEEDS + (EXTRA_SEEDS if extra else ())
                samplings = [GREEDY, *({"temperature": TEMPERATURE, "seed": seed} for seed in seeds)]
                for sampling in samplings:
                    decoding = {**sampling, "top_p": TOP_P, "max_new_tokens": MAX_NEW_TOKENS, "prefill": start}
                    yield f"{name}/{pair.id}/{shown}/{decoding_id(decoding)}", request, decoding


def load_judge() -> Any:
    """The default judge on CPU, float32, one thread, one prompt per call."""
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    import torch

    from j1_plugin.judges.hf import HFJudge
    from j1_plugin.models import model_path

    torch.set_num_threads(1)
    return HFJudge(model_path(), device="cpu", dtype="float32", batch_size=1)


def generate(judge: Any, request: JudgmentRequest, decoding: dict[str, Any]) -> str:
    """The judge's whole text for one request: ``HFJudge.generate``, or the same decoding after a prefix."""
    from j1_plugin.judges.base import Sampling

    sampling = Sampling(
        max_new_tokens=decoding["max_new_tokens"],
        temperature=decoding["temperature"],
        top_p=decoding["top_p"],
        seed=decoding["seed"] or 0,
    )
    prefix = decoding.get("prefill")
    if not prefix:
        return judge.generate([request.messages], sampling)[0][0]
    return prefix + _continue(judge, judge.prompt_text(request.messages) + prefix, sampling)


def _continue(judge: Any, prompt: str, sampling: Any) -> str:
    """What ``judge`` writes after ``prompt`` (raw text), decoded as ``HFJudge.generate`` does."""
    import torch

    options: dict[str, Any] = {"max_new_tokens": sampling.max_new_tokens, "pad_token_id": judge.tokenizer.pad_token_id}
    if sampling.greedy:
        options["do_sample"] = False
    else:
        options.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
    encoded = judge.tokenizer([prompt], return_tensors="pt", add_special_tokens=False)
    with torch.random.fork_rng(devices=[]):
        if not sampling.greedy:
            torch.manual_seed(sampling.seed)
        with torch.no_grad():
            generated = judge.model.generate(**encoded, **options)
    return judge.tokenizer.decode(generated[0, encoded["input_ids"].shape[1] :], skip_special_tokens=True)


def recorded_row(row_id: str, request: JudgmentRequest, decoding: dict[str, Any], output: str) -> dict[str, Any]:
    """One recording, without labels (those are written by hand)."""
    return {
        "id": row_id,
        "format": request.format,
        "pair_id": request.pair_id,
        "order": request.order,
        "side": request.side,
        "label": request.label,
        "decoding": decoding,
        "output": output,
    }


def record(out: Path, only: Sequence[str] = ()) -> None:
    judge = load_judge()
    with out.open("w", encoding="utf-8") as handle:
        for row_id, request, decoding in planned_requests():
            if only and not any(part in row_id for part in only):
                continue
            row = recorded_row(row_id, request, decoding, generate(judge, request, decoding))
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()
            print(row_id, file=sys.stderr, flush=True)


def check(golden: Path, only: Sequence[str] = ()) -> int:
    """Re-record the non-edited golden rows (those matching ``only``); the number of outputs that differ."""
    rows = [json.loads(line) for line in golden.read_text("utf-8").splitlines() if line.strip()]
    wanted = {
        row["id"]: row
        for row in rows
        if not row.get("edited") and (not only or any(part in row["id"] for part in only))
    }
    judge = load_judge()
    differ = 0
    for row_id, request, decoding in planned_requests():
        if row_id not in wanted:
            continue
        output = generate(judge, request, decoding)
        if output != wanted[row_id]["output"]:
            differ += 1
            print(f"{row_id}: the output differs\n  golden:   {wanted[row_id]['output']!r}\n  now:      {output!r}")
    print(f"{len(wanted) - differ} of {len(wanted)} recorded outputs reproduced")
    return differ


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write every planned recording (unlabelled) to this JSONL file")
    parser.add_argument("--only", nargs="*", default=(), help="only the row ids containing one of these strings")
    parser.add_argument("--check", action="store_true", help=f"re-record and compare with {GOLDEN.name}")
    args = parser.parse_args(argv)
    if args.check:
        return 1 if check(GOLDEN, args.only) else 0
    if args.out is None:
        parser.error("give --out FILE (or --check)")
    record(args.out, args.only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
