"""Building TRL judgment datasets from preference data."""

from __future__ import annotations

import json

import pytest

from j1_plugin import get_format
from j1_plugin.benchmarks.synthetic import arithmetic_pairs, write_jsonl
from j1_plugin.formats.truncation import TRUNCATION_MARKER
from j1_plugin.training_data import BuildReport, PreferenceDataError, build_judgment_dataset, load_preference_pairs

PAIRS = arithmetic_pairs(3, seed=11)


def test_pairwise_rows_hold_both_orders_with_label_pair_id_and_order():
    dataset, report = build_judgment_dataset(PAIRS, "pav")
    assert len(dataset) == 6 and report.pairs == 3 and report.rows == 6
    assert set(dataset.column_names) >= {"prompt", "label", "pair_id", "order", "format"}
    first, second = dataset[0], dataset[1]
    assert (first["pair_id"], first["order"], first["label"]) == ("sum-0", "AB", "A")
    assert (second["pair_id"], second["order"], second["label"]) == ("sum-0", "BA", "B")
    assert first["format"] == "pav"


def test_judge_prompts_are_the_evaluation_prompts():
    dataset, _ = build_judgment_dataset(PAIRS, "pas")
    request = get_format("pas").requests(PAIRS[0])[1]
    assert dataset[1]["prompt"] == [dict(m) for m in request.messages]


def test_pointwise_rows_hold_both_halves_with_side():
    dataset, _ = build_judgment_dataset(PAIRS, "pos")
    assert [(row["pair_id"], row["side"]) for row in dataset][:2] == [("sum-0", "chosen"), ("sum-0", "rejected")]
    assert dataset[0]["label"] is None and dataset[0]["order"] is None
    assert PAIRS[0].chosen in dataset[0]["prompt"][0]["content"]


def test_multitask_data_keeps_the_tasks_pairs_apart():
    dataset, report = build_judgment_dataset(PAIRS, ["pav", "pos"])
    assert len(dataset) == 12 and report.pairs == 3
    assert {row["pair_id"].split(":")[0] for row in dataset} == {"pav", "pos"}


def test_local_files_and_column_mappings(tmp_path):
    rows = [{"uid": f"q{i}", "question": p.prompt, "good": p.chosen, "bad": p.rejected} for i, p in enumerate(PAIRS)]
    path = write_jsonl(rows, tmp_path / "prefs.jsonl")
    columns = {"id": "uid", "prompt": "question", "chosen": "good", "rejected": "bad"}
    dataset, _ = build_judgment_dataset(str(path), "pav", columns=columns)
    assert dataset["pair_id"][:2] == ["q0", "q0"]


def test_conversational_preference_rows_are_understood():
    row = {
        "chosen": [{"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": "4"}],
        "rejected": [{"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": "5"}],
    }
    (pair,) = load_preference_pairs([row])
    assert (pair.id, pair.prompt, pair.chosen, pair.rejected) == ("row-0", "What is 2 + 2?", "4", "5")


def test_bad_rows_fail_naming_row_and_field_unless_skipping_is_asked_for():
    rows = [{"id": "ok", "prompt": "q", "chosen": "a", "rejected": "b"}, {"id": "bad", "prompt": "q", "rejected": "b"}]
    with pytest.raises(PreferenceDataError, match=r"row 1 \(id 'bad'\): field 'chosen' is missing"):
        build_judgment_dataset(rows)
    dataset, report = build_judgment_dataset(rows, skip_bad_rows=True)
    assert len(dataset) == 2 and report.skipped == 1 and "field 'chosen'" in report.skip_reasons[0]


USER = {"role": "user", "content": "What is 2 + 2?"}
GOOD = {"id": "r", "prompt": "What is 2 + 2?", "chosen": "4", "rejected": "5"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prompt": 5}, "field 'prompt' must be a string or a conversation, got int"),
        ({"prompt": "  "}, "field 'prompt' is missing or blank"),
        ({"chosen": ""}, "field 'chosen' is blank; a judge needs two responses"),
        ({"rejected": " \n"}, "field 'rejected' is blank; a judge needs two responses"),
        ({"rejected": "4"}, "fields 'chosen' and 'rejected' hold the same response; nothing to judge"),
        ({"id": ""}, "field 'id' is blank"),
        ({"id": True}, "field 'id' must be a string or an integer, got True"),
        ({"id": 3.0}, "field 'id' must be a string or an integer, got 3.0"),
        ({"chosen": 4}, "field 'chosen' must be a string or a conversation, got int"),
        ({"chosen": [{"role": "assistant", "content": None}]},
         "field 'chosen' turn 0 needs a string 'role' and 'content'"),
        ({"prompt": None, "chosen": [USER, {"role": "assistant", "content": "4"}],
          "rejected": [{"role": "user", "content": "What is 3 + 3?"}, {"role": "assistant", "content": "5"}]},
         "the conversations in 'chosen' and 'rejected' have different earlier turns, so they answer different prompts"),
    ],
)  # fmt: skip
def test_degenerate_preference_rows_are_refused_naming_row_and_field(changes, message):
    row = {**GOOD, **changes}
    with pytest.raises(PreferenceDataError) as caught:
        load_preference_pairs([GOOD | {"id": "first"}, row], split="train")
    assert str(caught.value).startswith("list: row 1") and str(caught.value).endswith(message)
    pairs = load_preference_pairs([GOOD | {"id": "first"}, row], skip_bad_rows=True, report=(report := BuildReport()))
    assert [pair.id for pair in pairs] == ["first"] and report.skipped == 1


def test_a_prompt_may_be_a_conversation_and_an_integer_id_is_kept():
    (pair,) = load_preference_pairs([{**GOOD, "id": 7, "prompt": [USER]}])
    assert (pair.id, pair.prompt) == ("7", "What is 2 + 2?")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("\ufeff".encode() + b'{"prompt": "q"}\n\xff\n', "line 2: not UTF-8 text (byte 0xff at column 1)"),
        ('{"prompt": "q"}\n'.encode("utf-16"), "is UTF-16 text; save it as UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000 + b"\n", "line 1: JSON nested too deeply to read"),
        (b'{"id": ' + b"7" * 5000 + b"}\n", "line 1: not valid JSON (Exceeds the limit"),
    ],
)
def test_unreadable_preference_files_are_one_error_naming_file_and_line(tmp_path, content, message):
    path = tmp_path / "prefs.jsonl"
    path.write_bytes(content)
    with pytest.raises(PreferenceDataError) as caught:
        build_judgment_dataset(str(path))
    assert str(caught.value).startswith(f"{path} {message}")


def test_duplicate_pair_ids_are_refused():
    rows = [{"id": "same", "prompt": "q", "chosen": "a", "rejected": "b"}] * 2
    with pytest.raises(PreferenceDataError, match="'same' occurs twice"):
        build_judgment_dataset(rows)


def test_over_long_pairs_are_cut_by_the_evaluation_rule_and_counted():
    long = [p.__class__(id=p.id, prompt=p.prompt, chosen=p.chosen * 80, rejected=p.rejected) for p in PAIRS]
    dataset, report = build_judgment_dataset(long, "pav", max_prompt_tokens=800)
    assert report.truncated == 3
    assert all(TRUNCATION_MARKER in row["prompt"][0]["content"] for row in dataset)
    last_line = get_format("pav").template.rstrip().splitlines()[-1]
    assert all(row["prompt"][0]["content"].rstrip().endswith(last_line) for row in dataset)


def test_datasets_round_trip_through_json_for_the_trl_cli(tmp_path):
    dataset, _ = build_judgment_dataset(PAIRS, "pav")
    dataset.to_json(tmp_path / "train.jsonl")
    first = json.loads((tmp_path / "train.jsonl").read_text().splitlines()[0])
    assert first["prompt"][0]["role"] == "user" and first["label"] == "A"


def test_a_local_folder_of_preference_files_loads(tmp_path):
    folder = tmp_path / "prefs"
    rows = [{"id": p.id, "prompt": p.prompt, "chosen": p.chosen, "rejected": p.rejected} for p in PAIRS]
    write_jsonl(rows, folder / "train.jsonl")
    dataset, report = build_judgment_dataset(str(folder), "pav")
    assert report.pairs == 3 and sorted(set(dataset["pair_id"])) == ["sum-0", "sum-1", "sum-2"]


def test_multitask_truncation_counts_each_pair_once():
    long = [p.__class__(id=p.id, prompt=p.prompt, chosen=p.chosen * 80, rejected=p.rejected) for p in PAIRS]
    _, report = build_judgment_dataset(long, ["pav", "pos"], max_prompt_tokens=800)
    assert report.truncated == 3 and report.pairs == 3
