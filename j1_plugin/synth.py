"""J1's data recipe: preference pairs made by a generator model, verifiable and not (``j1 synth``).

* **Verifiable** (prompts with a gold answer: MATH's ``problem``/``solution``, GSM8K's
  ``question``/``answer``, or mapped columns): the generator samples ``samples`` solutions per
  prompt; ``math-verify`` checks each final answer against the gold one; the first correct one is
  *chosen* and the first incorrect one *rejected*. A prompt with no correct or no incorrect solution
  makes no pair.
* **Open** (non-verifiable prompts, the Self-Taught Evaluators recipe): the generator writes an
  instruction close to the original but asking for something different, then answers the
  original (*chosen*) and the modified instruction (*rejected*). Filters drop a pair whose
  modified instruction is missing or the same as the original, whose responses are empty or
  identical, either of which is a refusal, or whose lengths differ more than ``max_length_ratio``.

In both kinds a prompt that repeats an earlier one of the source is dropped as ``duplicate``
before anything is generated. Every drop is counted by reason.

Output: a JSONL file of pairs (``id``, ``prompt``, ``chosen``, ``rejected``, ``kind`` and what made
them: generator, sampling, seed, the parsed answers) that :func:`j1_plugin.training_data.
build_judgment_dataset` and ``j1 train`` read as they are, plus a ledger beside it
(``<out>.progress.jsonl``, one line per prompt handled, kept or dropped). Both are appended to
chunk by chunk and synced, so a killed run resumes where it stopped and never generates a prompt
again. ``shard=(i, n)`` keeps the source rows whose index is ``i`` modulo ``n``, so ``n`` machines
split one source.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from j1_plugin.errors import shown
from j1_plugin.files import iter_jsonl
from j1_plugin.judges.base import Judge, Sampling

KINDS = ("verifiable", "open")
DROP_REASONS = {
    "verifiable": ("duplicate", "no_gold_answer", "no_correct", "no_incorrect"),
    "open": ("duplicate", "no_modified_instruction", "same_instruction", "empty_response", "identical_responses",
             "refusal", "length_ratio"),
}  # fmt: skip
PROMPT_COLUMNS = {"verifiable": ("problem", "question", "prompt"), "open": ("prompt", "instruction", "conversation")}
ANSWER_COLUMNS = ("solution", "answer", "gold", "gold_answer")
LEDGER_SUFFIX = ".progress.jsonl"

SOLVE_INSTRUCTION = (
    "\n\nWork through the problem step by step. End with the final answer alone in \\boxed{}, for example \\boxed{42}."
)
MODIFY_TEMPLATE = """Here is an instruction that a user gave to an AI assistant.

<original>
{prompt}
</original>

Write one new instruction that stays close to it (the same topic, style and length) but asks for
something different enough that a good answer to your instruction would be a poor answer to the
original one. Do not answer either instruction. Write the new instruction alone, between
<instruction> and </instruction>."""
MODIFIED = re.compile(r"<instruction>\s*(.*?)\s*</instruction>", re.DOTALL)
REFUSAL = re.compile(
    r"^\W*(i'?m sorry|i am sorry|sorry,|i apologi[sz]e|i can(?:no|')t|i am unable|i'?m unable|i won'?t|"
    r"as an ai\b|i'?m not able to|i am not able to)",
    re.IGNORECASE,
)


class SynthError(ValueError):
    """A source, option or output file that cannot make pairs; the message names where and what."""


@dataclass(frozen=True)
class SourceRow:
    """One prompt of the source: its id, its text, its gold answer (verifiable) and its row index."""

    id: str
    prompt: str
    gold: str | None
    index: int


# ----------------------------------------------------------------------------- reading the source


def parse_columns(text: str | None) -> dict[str, str]:
    """``"prompt=problem,answer=solution"`` as a mapping; the keys are ``id``, ``prompt`` and ``answer``."""
    if not text:
        return {}
    mapping = {}
    for part in text.split(","):
        key, sep, value = (s.strip() for s in part.partition("="))
        if not sep or not key or not value:
            raise SynthError(f"--columns: {part!r} is not NAME=COLUMN (e.g. prompt=problem,answer=solution)")
        if key not in ("id", "prompt", "answer"):
            raise SynthError(f"--columns: unknown name {key!r}; the names are id, prompt and answer")
        if key in mapping:
            raise SynthError(f"--columns: {key!r} is given twice")
        mapping[key] = value
    return mapping


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"I/N"`` as ``(I, N)`` with 0 <= I < N."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or int(match[2]) < 1 or int(match[1]) >= int(match[2]):
        raise SynthError(f"--shard must be I/N with 0 <= I < N (e.g. 0/4), got {text!r}")
    return int(match[1]), int(match[2])


def source_rows(source: str, *, split: str = "train", subset: str | None = None) -> tuple[Iterable[Any], str]:
    """The raw rows of a local ``.jsonl``/``.json``/``.parquet`` file or a hub dataset (``subset`` is its config)."""
    from j1_plugin.benchmarks.base import BenchmarkDataError, read_table

    path = Path(source)
    if path.is_file() or path.suffix.lower() in (".jsonl", ".json", ".parquet"):
        try:
            return read_table(path, str(path)), str(path)
        except BenchmarkDataError as exc:
            raise SynthError(str(exc)) from None
    import datasets

    return datasets.load_dataset(source, subset, split=split), source


def _first_user_turn(value: list[Any]) -> str | None:
    for turn in value:
        if isinstance(turn, Mapping) and turn.get("role") == "user" and isinstance(turn.get("content"), str):
            return turn["content"]
    return None


def _pick(row: Mapping[str, Any], wanted: str | None, candidates: Sequence[str], what: str, where: str) -> str:
    if wanted is not None:
        if wanted not in row:
            raise SynthError(f"{where}: no column {wanted!r} ({what}); its columns are {', '.join(map(str, row))}")
        return wanted
    for name in candidates:
        if name in row:
            return name
    raise SynthError(f"{where}: no {what} column (looked for {', '.join(candidates)}); name it with --columns "
                     f"{'prompt' if what == 'prompt' else 'answer'}=COLUMN; its columns are "
                     f"{', '.join(map(str, row))}")  # fmt: skip


def read_source(
    kind: str, rows: Iterable[Any], label: str, columns: Mapping[str, str] | None = None, limit: int | None = None
) -> list[SourceRow]:
    """The prompts of a source (the first ``limit`` rows), each checked; errors name the row and column."""
    if kind not in KINDS:
        raise SynthError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    columns = dict(columns or {})
    if kind == "open" and "answer" in columns:
        raise SynthError("--columns answer=... applies to verifiable prompts only")
    found: list[SourceRow] = []
    ids: dict[str, int] = {}
    stem = Path(label.rstrip("/")).stem or "row"  # ids of a source without an id column: "<name>-<row index>"
    for index, row in enumerate(rows):
        if limit is not None and index >= limit:
            break
        where = f"{label}: row {index}"
        if not isinstance(row, Mapping):
            raise SynthError(f"{where}: expected a mapping of columns, got {type(row).__name__}")
        prompt_column = _pick(row, columns.get("prompt"), PROMPT_COLUMNS[kind], "prompt", where)
        prompt = row[prompt_column]
        if isinstance(prompt, list):  # a conversation (WildChat): its first user turn
            prompt = _first_user_turn(prompt)
        if not isinstance(prompt, str) or not prompt.strip():
            raise SynthError(f"{where}: column {prompt_column!r} must hold non-blank text or a conversation "
                             f"with a user turn, got {shown(row[prompt_column])}")  # fmt: skip
        gold = None
        if kind == "verifiable":
            answer_column = _pick(row, columns.get("answer"), ANSWER_COLUMNS, "gold answer", where)
            gold = row[answer_column]
            if isinstance(gold, (int, float)) and not isinstance(gold, bool):
                gold = str(gold)
            if not isinstance(gold, str) or not gold.strip():
                raise SynthError(f"{where}: column {answer_column!r} must hold the gold answer as text, "
                                 f"got {shown(row[answer_column])}")  # fmt: skip
        id_column = columns.get("id", "id")
        raw_id = row.get(id_column)
        if raw_id is None:
            if "id" in columns:
                raise SynthError(f"{where}: no column {id_column!r} (id)")
            row_id = f"{stem}-{index}"
        elif isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or not str(raw_id).strip():
            raise SynthError(f"{where}: column {id_column!r} must be a non-blank string or an integer, "
                             f"got {shown(raw_id)}")  # fmt: skip
        else:
            row_id = str(raw_id)
        if row_id in ids:
            raise SynthError(f"{where}: id {row_id!r} was already used by row {ids[row_id]}; ids must be unique")
        ids[row_id] = index
        found.append(SourceRow(row_id, prompt, gold, index))
    return found


def shard_rows(rows: Sequence[SourceRow], shard: tuple[int, int] | None) -> list[SourceRow]:
    """The rows of shard ``(i, n)``: those whose source index is ``i`` modulo ``n``."""
    if shard is None:
        return list(rows)
    part, parts = shard
    return [row for row in rows if row.index % parts == part]


# ----------------------------------------------------------------------------- checking answers


def gold_text(gold: str) -> str:
    """The part of a gold solution that holds the answer: GSM8K's text after ``####``, else all of it."""
    return gold.rsplit("####", 1)[1].strip() if "####" in gold else gold


def parsed_answer(text: str) -> list[Any]:
    """math-verify's reading of the final answer in ``text`` (empty when it finds none)."""
    from math_verify import parse

    return parse(text)


def answers_match(gold: list[Any], answer: list[Any]) -> bool:
    from math_verify import verify

    return bool(gold) and bool(answer) and verify(gold, answer)


def _normalized(text: str) -> str:
    """Text compared as a prompt: case and runs of whitespace do not count."""
    return " ".join(text.split()).lower()


def _shown_answer(parsed: list[Any]) -> str | None:
    return str(parsed[-1]) if parsed else None


# ----------------------------------------------------------------------------- the output and its ledger


def ledger_path(out: Path) -> Path:
    return out.with_name(out.name + LEDGER_SUFFIX)


def _drop_partial_tail(path: Path) -> bool:
    """Cut a last line that a killed run left without its newline; True when there was one."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb+") as handle:
        handle.seek(-1, os.SEEK_END)
        if handle.read(1) == b"\n":
            return False
        data = path.read_bytes()
        handle.truncate(data.rfind(b"\n") + 1)
    return True


def done_ids(out: Path, kind: str) -> tuple[set[str], set[str], int]:
    """The ids in the pairs file and in the ledger of a previous run, and the partial last lines cut."""
    found: list[set[str]] = []
    partial = 0
    for path, what in ((out, "pair"), (ledger_path(out), "ledger entry")):
        partial += _drop_partial_tail(path)
        if not path.exists():
            found.append(set())
            continue
        seen: dict[str, int] = {}
        for number, line in iter_jsonl(path, SynthError):
            if not isinstance(line, dict) or not isinstance(line.get("id"), str):
                raise SynthError(f"{path} line {number}: expected a {what} with an 'id'")
            if what == "pair" and line.get("kind") != kind:
                raise SynthError(f"{path} line {number}: a {line.get('kind')!r} pair; this run makes {kind!r} "
                                 "pairs: write to another --out")  # fmt: skip
            if line["id"] in seen:
                raise SynthError(f"{path} line {number} repeats the id of line {seen[line['id']]}: {line['id']!r}")
            seen[line["id"]] = number
        found.append(set(seen))
    return found[0], found[1], partial


def _append(handle: Any, lines: Sequence[dict[str, Any]]) -> None:
    for line in lines:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    handle.flush()
    os.fsync(handle.fileno())


# ----------------------------------------------------------------------------- making pairs


class _TokenCounter:
    """Generated tokens: what the backend reports (``stats``), else its tokenizer's count, else unknown."""

    def __init__(self, generator: Any) -> None:
        self.generator = generator
        self.tokenizer = getattr(generator, "tokenizer", None)
        stats = getattr(generator, "stats", None)
        self.reported = isinstance(stats, Mapping) and "sent" in stats
        self.start = stats.get("completion_tokens", 0) if self.reported else 0
        self.counted = 0

    def add(self, texts: Iterable[str]) -> None:
        if not self.reported and self.tokenizer is not None:
            self.counted += sum(len(self.tokenizer(text, add_special_tokens=False)["input_ids"]) for text in texts)

    @property
    def total(self) -> int | None:
        if self.reported:
            return self.generator.stats.get("completion_tokens", 0) - self.start
        return self.counted if self.tokenizer is not None else None


def _generated(generator: Judge, conversations: list[list[dict[str, str]]], sampling: Sampling) -> list[list[str]]:
    """The generator's samples for each conversation, checked to be ``sampling.n`` per conversation."""
    if not conversations:
        return []
    answers = generator.generate(conversations, sampling)
    if len(answers) != len(conversations) or any(len(samples) != sampling.n for samples in answers):
        raise SynthError(f"the generator returned {[len(a) for a in answers]} samples for {len(conversations)} "
                         f"prompts; expected {sampling.n} each")  # fmt: skip
    return answers


def _verifiable_chunk(rows: Sequence[SourceRow], generator: Judge, sampling: Sampling, tokens: _TokenCounter,
                      meta: dict[str, Any]) -> list[tuple[SourceRow, dict[str, Any] | None, str | None]]:  # fmt: skip
    golds = [parsed_answer(gold_text(row.gold or "")) for row in rows]
    asked = [row for row, gold in zip(rows, golds, strict=True) if gold]
    conversations = [[{"role": "user", "content": row.prompt + SOLVE_INSTRUCTION}] for row in asked]
    answers = iter(_generated(generator, conversations, sampling))
    results = []
    for row, gold in zip(rows, golds, strict=True):
        if not gold:
            results.append((row, None, "no_gold_answer"))
            continue
        samples = next(answers)
        tokens.add(samples)
        right, wrong = [], []
        for text in samples:
            if text.strip():
                parsed = parsed_answer(text)
                (right if answers_match(gold, parsed) else wrong).append((text, parsed))
        if not right or not wrong:
            results.append((row, None, "no_correct" if not right else "no_incorrect"))
            continue
        (chosen, chosen_parsed), (rejected, rejected_parsed) = right[0], wrong[0]
        results.append((row, {
            "id": row.id, "prompt": row.prompt, "chosen": chosen, "rejected": rejected, "kind": "verifiable",
            "gold": row.gold, "gold_answer": _shown_answer(gold), "chosen_answer": _shown_answer(chosen_parsed),
            "rejected_answer": _shown_answer(rejected_parsed), "samples": len(samples), "correct": len(right),
            **meta,
        }, None))  # fmt: skip
    return results


def _open_chunk(rows: Sequence[SourceRow], generator: Judge, sampling: Sampling, tokens: _TokenCounter,
                meta: dict[str, Any], max_length_ratio: float,
                ) -> list[tuple[SourceRow, dict[str, Any] | None, str | None]]:  # fmt: skip
    asks = [[{"role": "user", "content": MODIFY_TEMPLATE.format(prompt=row.prompt)}] for row in rows]
    rewritten = [samples[0] for samples in _generated(generator, asks, sampling)]
    tokens.add(rewritten)
    modified: dict[str, str] = {}
    results: dict[str, tuple[SourceRow, dict[str, Any] | None, str | None]] = {}
    for row, text in zip(rows, rewritten, strict=True):
        found = MODIFIED.findall(text)
        instruction = found[-1].strip() if found else ""
        if not instruction:
            results[row.id] = (row, None, "no_modified_instruction")
        elif _normalized(instruction) == _normalized(row.prompt):
            results[row.id] = (row, None, "same_instruction")
        else:
            modified[row.id] = instruction
    kept = [row for row in rows if row.id in modified]
    conversations = [[{"role": "user", "content": prompt}] for row in kept for prompt in (row.prompt, modified[row.id])]
    responses = [samples[0] for samples in _generated(generator, conversations, sampling)]
    tokens.add(responses)
    for k, row in enumerate(kept):
        chosen, rejected = responses[2 * k], responses[2 * k + 1]
        shorter, longer = sorted((len(chosen.strip()), len(rejected.strip())))
        reason = None
        if not shorter:
            reason = "empty_response"
        elif chosen.strip() == rejected.strip():
            reason = "identical_responses"
        elif REFUSAL.match(chosen) or REFUSAL.match(rejected):
            reason = "refusal"
        elif longer / shorter > max_length_ratio:
            reason = "length_ratio"
        results[row.id] = (row, None, reason) if reason else (row, {
            "id": row.id, "prompt": row.prompt, "chosen": chosen, "rejected": rejected, "kind": "open",
            "modified_prompt": modified[row.id], **meta,
        }, None)  # fmt: skip
    return [results[row.id] for row in rows]


def synthesize(
    kind: str,
    rows: Sequence[SourceRow],
    generator: Judge,
    out: str | os.PathLike[str],
    *,
    generator_name: str,
    samples: int = 4,
    max_new_tokens: int = 1024,
    temperature: float = 0.8,
    top_p: float = 0.95,
    seed: int = 0,
    max_length_ratio: float = 3.0,
    chunk: int = 16,
    source: str = "",
    shard: tuple[int, int] | None = None,
    max_pairs: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Make ``kind`` pairs from ``rows`` with ``generator``, appending to ``out``; returns the run's summary.

    With ``max_pairs`` the run stops once ``out`` holds that many pairs; prompts generated past that
    point are not marked done (a later run with a higher ``max_pairs`` takes them up).
    """
    if max_pairs is not None and max_pairs < 1:
        raise SynthError(f"max_pairs must be at least 1, got {max_pairs}")
    if kind not in KINDS:
        raise SynthError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if samples < 2 and kind == "verifiable":
        raise SynthError(f"verifiable pairs need at least 2 samples per prompt (a right and a wrong one), "
                         f"got {samples}")  # fmt: skip
    if temperature <= 0:
        raise SynthError(f"temperature must be above 0 (the samples must differ), got {temperature}")
    if max_length_ratio < 1:
        raise SynthError(f"max_length_ratio must be at least 1, got {max_length_ratio}")
    if chunk < 1:
        raise SynthError(f"chunk must be at least 1, got {chunk}")
    out = Path(out)
    paired, ledgered, partial = done_ids(out, kind)
    done, pairs_before = paired | ledgered, len(paired)
    drops: Counter[str] = Counter()
    seen_prompts: set[str] = set()
    todo: list[SourceRow] = []
    duplicates: list[SourceRow] = []
    for row in rows:  # duplicates are decided on the source order alone, so a resumed run decides alike
        key = _normalized(row.prompt)
        if key in seen_prompts:
            duplicates.append(row)
        else:
            seen_prompts.add(key)
            if row.id not in done:
                todo.append(row)
    new_duplicates = [row for row in duplicates if row.id not in done]
    sampling = Sampling(max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p,
                        n=samples if kind == "verifiable" else 1, seed=seed)  # fmt: skip
    meta = {
        "generator": generator_name, "source": source, "source_index": None,
        "sampling": {"temperature": temperature, "top_p": top_p, "max_new_tokens": max_new_tokens,
                     "samples": sampling.n},
        "seed": seed,
    }  # fmt: skip
    if shard is not None:
        meta["shard"] = f"{shard[0]}/{shard[1]}"
    tokens = _TokenCounter(generator)
    bar = _bar(len(todo) + len(new_duplicates), progress)
    written = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as pairs_file, ledger_path(out).open("a", encoding="utf-8") as ledger:
        unrecorded = [row for row in rows if row.id in paired - ledgered]  # killed between the two writes
        _append(ledger, [{"id": row.id, "kept": True, "reason": None} for row in unrecorded])
        if new_duplicates:
            _append(ledger, [{"id": row.id, "kept": False, "reason": "duplicate"} for row in new_duplicates])
            drops["duplicate"] += len(new_duplicates)
            if bar is not None:
                bar.update(len(new_duplicates))
        handled = len(new_duplicates)
        for start in range(0, len(todo), chunk):
            if max_pairs is not None and pairs_before + written >= max_pairs:
                break
            batch = todo[start : start + chunk]
            # One seed for every chunk: a request's identity (and so the openai backend's cache key)
            # does not depend on which prompts a resumed run still had to do.
            if kind == "verifiable":
                results = _verifiable_chunk(batch, generator, sampling, tokens, meta)
            else:
                results = _open_chunk(batch, generator, sampling, tokens, meta, max_length_ratio)
            if max_pairs is not None:  # keep the prompts up to the pair that reaches max_pairs
                room, kept_until = max_pairs - pairs_before - written, len(results)
                for position, (_row, pair, _reason) in enumerate(results):
                    room -= pair is not None
                    if room == 0:
                        kept_until = position + 1
                        break
                results = results[:kept_until]
            made = []
            for row, pair, _reason in results:
                if pair is not None:
                    pair["source_index"] = row.index
                    made.append(pair)
            _append(pairs_file, made)  # pairs first: an id in either file counts as done on resume
            _append(ledger, [{"id": row.id, "kept": pair is not None, "reason": reason}
                             for row, pair, reason in results])  # fmt: skip
            written += len(made)
            handled += len(results)
            drops.update(reason for _row, _pair, reason in results if reason)
            if bar is not None:
                bar.update(len(results))
    if bar is not None:
        bar.close()
    return {
        "kind": kind,
        "out": str(out),
        "prompts": len(rows),
        "already_done": len(rows) - len(todo) - len(new_duplicates),
        "handled": handled,
        "left": len(todo) + len(new_duplicates) - handled,
        "pairs_written": written,
        "pairs_in_file": pairs_before + written,
        "drops": {reason: drops[reason] for reason in DROP_REASONS[kind] if drops[reason]},
        "generated_tokens": tokens.total,
        "partial_lines_removed": partial,
        "requests": dict(getattr(generator, "stats", {}) or {}),
    }


def _bar(total: int, progress: bool) -> Any:
    if not progress or not total:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="j1 synth", unit="prompt", file=sys.stderr)


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """The run's summary as a newcomer reads it."""
    drops = summary["drops"]
    tokens = summary["generated_tokens"]
    lines = [
        f"j1 synth: {summary['prompts']} prompts ({summary['already_done']} done by an earlier run, "
        f"{summary['handled']} handled now): {summary['pairs_written']} {summary['kind']} pairs written, "
        f"{summary['pairs_in_file']} in {summary['out']}",
        "j1 synth: dropped " + (", ".join(f"{reason} {count}" for reason, count in drops.items()) or "none"),
        f"j1 synth: generated tokens {tokens if tokens is not None else 'not known for this backend'}",
    ]
    if summary["left"]:
        lines.append(f"j1 synth: stopped at max_pairs with {summary['left']} prompts left for a later run")
    if summary["partial_lines_removed"]:
        lines.append(f"j1 synth: removed {summary['partial_lines_removed']} unfinished last line(s) a killed run left")
    stats = summary.get("requests") or {}
    if "sent" in stats:
        lines.append(f"j1 synth: requests sent {stats['sent']}, answers from the cache {stats.get('cached', 0)}, "
                     f"retries {stats.get('retries', 0)}")  # fmt: skip
    return lines


def write_mix(parts: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str]) -> dict[str, int]:
    """Write the pairs of every part file into ``out`` (rewritten whole); pair counts by part.

    An id in two parts is an error naming both: the mix must feed training without doubles.
    """
    out = Path(out)
    owners: dict[str, str] = {}
    counts: dict[str, int] = {}
    lines = []
    for part in map(Path, parts):
        counts[str(part)] = 0
        if not part.exists():
            continue
        for number, line in iter_jsonl(part, SynthError):
            if line["id"] in owners:
                raise SynthError(f"{part} line {number}: id {line['id']!r} is also in {owners[line['id']]}; "
                                 "the mix needs distinct ids (map an id column with --columns id=...)")  # fmt: skip
            owners[line["id"]] = str(part)
            counts[str(part)] += 1
            lines.append(json.dumps(line, ensure_ascii=False))
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = out.with_name(out.name + ".partial")
    scratch.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    os.replace(scratch, out)
    return counts
