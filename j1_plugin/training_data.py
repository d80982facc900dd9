"""Turn any preference data into TRL-ready J1 judgment datasets.

Sources: a hub dataset id, a local ``.jsonl``/``.json``/``.parquet`` file, a ``datasets.Dataset``,
or an iterable of :class:`~j1_plugin.records.PreferencePair`. Rows need a prompt, a chosen and a
rejected response (``columns`` maps other names); chosen/rejected may also be conversations, as
in many hub preference sets, where the last assistant turn is the response and, without a
prompt column, the earlier turns are the prompt.

Output rows, with the judge prompt as a conversation (``prompt``) built by the same format code as
evaluation, cut by the same truncation rule:

* pairwise formats: both orders of every pair, with ``label`` (the better response as shown:
  ``"A"``/``"B"``), ``pair_id``, ``order``, ``format``;
* pointwise formats: both sides of every pair, with ``pair_id``, ``side``, ``format``.

Multitask data (e.g. pairwise and pointwise, J1's multitask recipe) concatenates several
formats; each row then carries all the columns (``None`` where they do not apply) and pair ids
are prefixed with the format name so the halves of different tasks never mix.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from j1_plugin.benchmarks.base import LOCAL_SUFFIXES, BenchmarkDataError, read_table
from j1_plugin.errors import shown
from j1_plugin.formats import JudgmentFormat
from j1_plugin.formats.truncation import CharEstimate, TokenizerCounter, fit_pair
from j1_plugin.plugins import get_format
from j1_plugin.records import ORDERS, PreferencePair, first_duplicate_id

DEFAULT_COLUMNS = {"id": "id", "prompt": "prompt", "chosen": "chosen", "rejected": "rejected"}


class PreferenceDataError(ValueError):
    """A preference row cannot become a judgment task."""


@dataclass
class BuildReport:
    """What a dataset build did: rows out, pairs used, pairs cut to fit, rows skipped and why."""

    rows: int = 0
    pairs: int = 0
    skipped: int = 0
    skip_reasons: list[str] = field(default_factory=list)
    truncated_ids: set[str] = field(default_factory=set)

    @property
    def truncated(self) -> int:
        """Pairs cut to fit the budget, in at least one format."""
        return len(self.truncated_ids)

    def __str__(self) -> str:
        text = f"{self.rows} judgment rows from {self.pairs} pairs; {self.truncated} truncated, {self.skipped} skipped"
        return text + (f" (first: {self.skip_reasons[0]})" if self.skip_reasons else "")


def _conversation(value: Any, where: str, name: str) -> list[Mapping[str, Any]] | None:
    """``value`` as a list of chat messages with text content, ``None`` if it is not a list of mappings."""
    if not (isinstance(value, list) and value and all(isinstance(m, Mapping) for m in value)):
        return None
    for turn, message in enumerate(value):
        if not isinstance(message.get("content"), str) or not isinstance(message.get("role"), str):
            raise PreferenceDataError(f"{where}: field {name!r} turn {turn} needs a string 'role' and 'content'")
    return value


def _prompt_of_turns(turns: Sequence[Mapping[str, Any]]) -> str | None:
    """The judge's question from the turns before a response: a lone user turn as it is, else a transcript."""
    if len(turns) == 1 and turns[0]["role"] == "user":
        return turns[0]["content"]
    return "\n\n".join(f"{m['role']}: {m['content']}" for m in turns) or None


def _text_of(value: Any, where: str, name: str) -> tuple[str, list[Mapping[str, Any]] | None]:
    """(response text, the conversation's earlier turns or None) of a plain or conversational field."""
    if isinstance(value, str):
        return value, None
    conversation = _conversation(value, where, name)
    if conversation is None:
        raise PreferenceDataError(
            f"{where}: field {name!r} must be a string or a conversation, got {type(value).__name__}"
        )
    if conversation[-1]["role"] != "assistant":
        raise PreferenceDataError(f"{where}: field {name!r} is a conversation not ending with an assistant turn")
    return conversation[-1]["content"], list(conversation[:-1])


def _pair_id(row: Mapping[str, Any], index: int, id_column: str, where: str) -> str:
    """The row's id: a non-blank string or an integer; a row without the id column is ``row-<index>``."""
    raw_id = row.get(id_column)
    if raw_id is None:
        return f"row-{index}"
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        raise PreferenceDataError(f"{where}: field {id_column!r} must be a string or an integer, got {raw_id!r}")
    if isinstance(raw_id, str) and not raw_id.strip():
        raise PreferenceDataError(f"{where}: field {id_column!r} is blank")
    return str(raw_id)


def pair_from_row(row: Mapping[str, Any], index: int, columns: Mapping[str, str], source: str) -> PreferencePair:
    """One preference row as a :class:`PreferencePair`; errors name the source, row and field.

    Refused: a missing or blank prompt, chosen or rejected; chosen equal to rejected (nothing to
    judge); conversational chosen and rejected whose earlier turns differ (they answer different
    prompts); an id that is blank, a float or a boolean.
    """
    names = {**DEFAULT_COLUMNS, **columns}
    raw_id = row.get(names["id"])
    where = f"{source}: row {index}" + (f" (id {shown(raw_id)})" if raw_id is not None else "")
    pair_id = _pair_id(row, index, names["id"], where)
    for role in ("chosen", "rejected"):
        if row.get(names[role]) is None:
            raise PreferenceDataError(f"{where}: field {names[role]!r} is missing")
    chosen, chosen_turns = _text_of(row[names["chosen"]], where, names["chosen"])
    rejected, rejected_turns = _text_of(row[names["rejected"]], where, names["rejected"])
    if chosen_turns is not None and rejected_turns is not None and chosen_turns != rejected_turns:
        raise PreferenceDataError(
            f"{where}: the conversations in {names['chosen']!r} and {names['rejected']!r} have different earlier "
            "turns, so they answer different prompts"
        )
    prompt = row.get(names["prompt"])
    if prompt is None:
        turns = chosen_turns if chosen_turns is not None else rejected_turns
        prompt = _prompt_of_turns(turns) if turns else None
    elif not isinstance(prompt, str):
        conversation = _conversation(prompt, where, names["prompt"])
        if conversation is None:
            raise PreferenceDataError(
                f"{where}: field {names['prompt']!r} must be a string or a conversation, got {type(prompt).__name__}"
            )
        prompt = _prompt_of_turns(conversation)
    if not prompt or not prompt.strip():
        raise PreferenceDataError(f"{where}: field {names['prompt']!r} is missing or blank")
    for role, text in (("chosen", chosen), ("rejected", rejected)):
        if not text.strip():
            raise PreferenceDataError(f"{where}: field {names[role]!r} is blank; a judge needs two responses")
    if chosen == rejected:
        raise PreferenceDataError(
            f"{where}: fields {names['chosen']!r} and {names['rejected']!r} hold the same response; nothing to judge"
        )
    return PreferencePair(id=pair_id, prompt=prompt, chosen=chosen, rejected=rejected)


def _rows_of(source: Any, split: str) -> tuple[Iterable[Any], str]:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_file() or path.suffix.lower() in LOCAL_SUFFIXES:
            try:
                return read_table(path, str(path)), str(path)
            except BenchmarkDataError as exc:
                raise PreferenceDataError(str(exc)) from None
        import datasets  # a hub id, or a local folder in any layout ``datasets`` reads

        return datasets.load_dataset(str(source), split=split), str(source)
    return source, type(source).__name__


def load_preference_pairs(
    source: Any,
    *,
    split: str = "train",
    columns: Mapping[str, str] | None = None,
    skip_bad_rows: bool = False,
    report: BuildReport | None = None,
) -> list[PreferencePair]:
    """Preference pairs from a hub id, a local file, a ``Dataset``, or an iterable of pairs or rows.

    A bad row raises :class:`PreferenceDataError`, or with ``skip_bad_rows`` is skipped and counted
    in ``report``. Pair ids must be unique.
    """
    report = report if report is not None else BuildReport()
    rows, label = _rows_of(source, split)
    pairs: list[PreferencePair] = []
    for index, row in enumerate(rows):
        try:
            if isinstance(row, PreferencePair):
                pairs.append(row)
            elif isinstance(row, Mapping):
                pairs.append(pair_from_row(row, index, columns or {}, label))
            else:
                raise PreferenceDataError(f"{label}: row {index} is a {type(row).__name__}, expected a mapping")
        except (PreferenceDataError, TypeError, ValueError) as exc:
            if not skip_bad_rows:
                raise PreferenceDataError(str(exc)) from None
            report.skipped += 1
            if len(report.skip_reasons) < 10:
                report.skip_reasons.append(str(exc))
    duplicate = first_duplicate_id(pairs)
    if duplicate is not None:
        raise PreferenceDataError(f"{label}: pair id {duplicate!r} occurs twice; ids must be unique")
    return pairs


def judgment_rows(
    pairs: Iterable[PreferencePair],
    fmt: JudgmentFormat,
    *,
    max_prompt_tokens: int | None = None,
    tokenizer: Any = None,
    orders: Sequence[str] = ORDERS,
    id_prefix: str = "",
    report: BuildReport | None = None,
) -> list[dict[str, Any]]:
    """The TRL rows of ``fmt`` for ``pairs`` (see the module docstring for the columns)."""
    report = report if report is not None else BuildReport()
    counter = TokenizerCounter(tokenizer) if tokenizer is not None else CharEstimate()
    rows: list[dict[str, Any]] = []
    for pair in pairs:
        fitted, cut = fit_pair(fmt, pair, max_prompt_tokens, counter)
        if cut:
            report.truncated_ids.add(pair.id)
        requests = fmt.requests(fitted) if fmt.kind == "pointwise" else fmt.requests(fitted, orders=orders)
        for request in requests:
            rows.append(
                {
                    "prompt": [dict(message) for message in request.messages],
                    "pair_id": id_prefix + pair.id,
                    "format": fmt.name,
                    "label": request.label,
                    "order": request.order,
                    "side": request.side,
                }
            )
    report.rows += len(rows)
    return rows


def build_judgment_dataset(
    source: Any,
    formats: str | Sequence[str] = "pav",
    *,
    split: str = "train",
    columns: Mapping[str, str] | None = None,
    max_prompt_tokens: int | None = None,
    tokenizer: Any = None,
    skip_bad_rows: bool = False,
    template: str | os.PathLike[str] | None = None,
) -> tuple[Any, BuildReport]:
    """A ``datasets.Dataset`` of J1 judgment tasks for TRL, and a :class:`BuildReport`.

    ``formats`` is one format name or several (multitask); ``max_prompt_tokens`` applies the
    evaluation's truncation rule, counting with ``tokenizer`` when given.
    """
    import datasets

    names = [formats] if isinstance(formats, str) else list(formats)
    report = BuildReport()
    pairs = load_preference_pairs(source, split=split, columns=columns, skip_bad_rows=skip_bad_rows, report=report)
    if not pairs:
        raise PreferenceDataError("the preference data holds no usable pairs")
    rows: list[dict[str, Any]] = []
    for name in names:
        fmt = get_format(name, template=template)
        prefix = f"{name}:" if len(names) > 1 else ""
        rows += judgment_rows(pairs, fmt, max_prompt_tokens=max_prompt_tokens, tokenizer=tokenizer, id_prefix=prefix,
                              report=report)  # fmt: skip
    report.pairs = len(pairs)
    return datasets.Dataset.from_list(rows), report
