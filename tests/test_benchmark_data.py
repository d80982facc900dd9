"""Benchmark data: local files and the hub, documented pair ids, and row errors that say where.

The hub cannot be reached here, so the hub tests replace ``datasets.load_dataset`` (the remote
boundary) and check what each benchmark asks it for. Real rows are never part of the repository:
the real-data tests read them from the folder named by ``J1_REAL_DATA`` and skip without it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from j1_plugin import get_benchmark, list_benchmarks
from j1_plugin.benchmarks import BenchmarkDataError
from j1_plugin.benchmarks.synthetic import (
    followbench_rows,
    judgebench_rows,
    ppe_correctness_rows,
    ppe_preference_rows,
    rewardbench2_rows,
    rewardbench_rows,
    rmbench_rows,
    write_jsonl,
)

BUILTIN = ["rewardbench", "ppe-preference", "ppe-correctness", "judgebench", "rmbench", "followbench", "rewardbench2"]
PPE_HUB_IDS = [
    "lmarena-ai/PPE-MMLU-Pro-Best-of-K",
    "lmarena-ai/PPE-MATH-Best-of-K",
    "lmarena-ai/PPE-GPQA-Best-of-K",
    "lmarena-ai/PPE-MBPP-Plus-Best-of-K",
    "lmarena-ai/PPE-IFEval-Best-of-K",
]
PPE_DOMAIN_OF_HUB_ID = dict(zip(PPE_HUB_IDS, ["mmlu-pro", "math", "gpqa", "mbpp-plus", "ifeval"], strict=True))


def fixture_rows(name):
    """Small synthetic rows in the benchmark's hub schema."""
    return {
        "rewardbench": lambda: rewardbench_rows(1),
        "ppe-preference": lambda: ppe_preference_rows(4, ties=2),
        "ppe-correctness": lambda: ppe_correctness_rows(1, conflicts=2),
        "judgebench": lambda: judgebench_rows(4),
        "rmbench": lambda: rmbench_rows(1),
        "followbench": lambda: followbench_rows(5),
        "rewardbench2": lambda: rewardbench2_rows(1),
    }[name]()


def documented_ids(name, rows):
    """The pair ids each benchmark documents, written out from its rule."""
    if name in ("rewardbench", "followbench"):
        return [str(row["id"]) for row in rows]
    if name == "judgebench":
        return [row["pair_id"] for row in rows]
    if name == "ppe-preference":
        return [row["question_id"] for row in rows if row["winner"] in ("model_a", "model_b")]
    if name == "ppe-correctness":
        return [
            f"{row['domain']}:{row['question_id']}:{i}:{j}" for row in rows for i, j in row["sampled_conflict_pairs"]
        ]
    if name == "rmbench":  # the default diagonal variant
        return [f"{row['id']}:{i}:{i}" for row in rows for i in range(3)]
    if name == "rewardbench2":  # every chosen response against every rejected one
        return [f"{row['id']}/c{i}of{len(row['chosen'])}-r{j}of{len(row['rejected'])}" for row in rows
                for i in range(len(row["chosen"])) for j in range(len(row["rejected"]))]  # fmt: skip
    raise AssertionError(name)


def write_rows(rows, path):
    path = Path(path)
    if path.suffix == ".jsonl":
        write_jsonl(rows, path)
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows), "utf-8")
    elif path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        path.write_text("\n".join(map(json.dumps, rows)), "utf-8")
    return path


def ppe_row(question_id="q7", domain="math", correct=(1, 2), conflicts=((0, 1), (2, 3))):
    """A hand-made PPE best-of-K row: 32 responses, ``correct`` lists the right ones (0-based)."""
    row = {
        "question_id": question_id,
        "model_name": "m",
        "prompt": "What is 1 + 1?",
        "domain": domain,
        "scores": [k in correct for k in range(32)],
        "sampled_conflict_pairs": [list(c) for c in conflicts],
    }
    row |= {f"response_{k + 1}": f"response number {k + 1}" for k in range(32)}
    return row


def rm_row(row_id="chat/0", domain="chat"):
    return {"id": row_id, "prompt": "q", "chosen": ["c0", "c1", "c2"], "rejected": ["r0", "r1", "r2"], "domain": domain}


# --- local files ----------------------------------------------------------------------------


def test_the_six_j1_benchmarks_and_rewardbench_2_are_built_in():
    assert list_benchmarks() == BUILTIN


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".parquet"])
@pytest.mark.parametrize("name", BUILTIN)
def test_every_benchmark_loads_a_local_file_with_its_documented_pair_ids(tmp_path, name, suffix):
    rows = fixture_rows(name)
    path = write_rows(rows, tmp_path / f"{name}{suffix}")
    pairs = get_benchmark(name).load_pairs(path)
    assert [pair.id for pair in pairs] == documented_ids(name, rows)
    assert all(pair.prompt and pair.chosen and pair.rejected for pair in pairs)


def test_a_json_file_may_wrap_its_rows_in_a_data_list(tmp_path):
    path = tmp_path / "jb.json"
    path.write_text(json.dumps({"data": judgebench_rows(3)}), "utf-8")
    assert [p.id for p in get_benchmark("judgebench").load_pairs(path)] == [f"synthetic-{k:04d}" for k in range(3)]


def test_rewardbench_pair_id_is_the_integer_id_as_a_string():
    row = {"prompt": "q", "chosen": "good", "rejected": "bad", "subset": "hep-rust", "id": 2741}
    row |= {"chosen_model": "x", "rejected_model": "y"}
    (pair,) = get_benchmark("rewardbench").pairs_from_rows([row])
    assert (pair.id, pair.chosen, pair.rejected, pair.chosen_position) == ("2741", "good", "bad", "A")
    assert pair.metadata["group"] == "hep-rust"


def test_judgebench_label_says_where_the_chosen_response_is_shown():
    rows = [
        {"pair_id": "p1", "source": "mmlu-pro-law", "question": "q", "response_A": "a", "response_B": "b",
         "label": "A>B"},
        {"pair_id": "p2", "source": "livecodebench", "question": "q", "response_A": "a", "response_B": "b",
         "label": "B>A"},
    ]  # fmt: skip
    first, second = get_benchmark("judgebench").pairs_from_rows(rows)
    assert (first.id, first.chosen, first.rejected, first.chosen_position) == ("p1", "a", "b", "A")
    assert (second.id, second.chosen, second.rejected, second.chosen_position) == ("p2", "b", "a", "B")
    assert second.responses("AB") == ("a", "b")  # AB is the dataset's own presentation
    assert (first.metadata["group"], second.metadata["group"]) == ("mmlu-pro", "livecodebench")


def test_ppe_preference_follows_the_winner_and_skips_ties():
    base = {"prompt": "q", "response_1": "one", "response_2": "two", "model_a": "x", "model_b": "y"}
    rows = [
        {**base, "question_id": "a", "winner": "model_a"},
        {**base, "question_id": "b", "winner": "model_b"},
        {**base, "question_id": "c", "winner": "tie"},
        {**base, "question_id": "d", "winner": "tie (bothbad)"},
    ]
    pairs = get_benchmark("ppe-preference").pairs_from_rows(rows)
    first, second = pairs
    assert (first.id, first.chosen, first.rejected, first.chosen_position) == ("a", "one", "two", "A")
    assert (second.id, second.chosen, second.rejected, second.chosen_position) == ("b", "two", "one", "B")
    assert second.responses("AB") == ("one", "two")
    assert pairs.skipped == {"tie_rows": 2}


@pytest.mark.parametrize("winner", ["Model_B", "model_a ", "a", ""])
def test_a_mistyped_ppe_winner_is_an_error_not_a_tie(winner):
    rows = [{**row, "winner": winner} if row["question_id"] == "pref-00001" else row for row in ppe_preference_rows(3)]
    with pytest.raises(BenchmarkDataError) as caught:
        get_benchmark("ppe-preference").pairs_from_rows(rows)
    assert str(caught.value) == (
        f"ppe-preference: row 1 (id 'pref-00001'): field 'winner' is {winner!r}; "
        "expected 'model_a', 'model_b' or a tie ('tie', 'tie (bothbad)')"
    )


def test_ppe_rows_without_conflict_pairs_are_counted_and_ties_reach_the_loaded_pairs(tmp_path):
    rows = [ppe_row("q1"), {**ppe_row("q2"), "sampled_conflict_pairs": []}, ppe_row("q3")]
    pairs = get_benchmark("ppe-correctness").load_pairs(write_rows(rows, tmp_path / "ppe.jsonl"))
    assert len(pairs) == 4 and pairs.skipped == {"rows_without_conflict_pairs": 1}
    preference = get_benchmark("ppe-preference").load_pairs(
        write_rows(ppe_preference_rows(4, ties=3), tmp_path / "p.jsonl")
    )
    assert len(preference) == 4 and preference.skipped == {"tie_rows": 3}
    only_ties = write_rows(ppe_preference_rows(0, ties=2), tmp_path / "ties.jsonl")
    with pytest.raises(BenchmarkDataError, match=r"holds no pairs to judge \(skipped: 2 tie rows\)"):
        get_benchmark("ppe-preference").load_pairs(only_ties)


def test_ppe_correctness_pair_ids_and_chosen_side_follow_the_scores():
    # Responses 2 and 3 (indices 1, 2) are correct: [0, 1] prefers index 1 (shown second),
    # [1, 3] prefers index 1 (shown first).
    row = ppe_row(correct=(1, 2), conflicts=((0, 1), (1, 3)))
    first, second = get_benchmark("ppe-correctness").pairs_from_rows([row])
    assert (first.id, first.chosen, first.rejected, first.chosen_position) == (
        "math:q7:0:1",
        "response number 2",
        "response number 1",
        "B",
    )
    assert (second.id, second.chosen, second.rejected, second.chosen_position) == (
        "math:q7:1:3",
        "response number 2",
        "response number 4",
        "A",
    )
    assert first.responses("AB") == ("response number 1", "response number 2")
    assert first.metadata["group"] == "math"


def test_ppe_correctness_can_read_one_domain_without_a_domain_field(tmp_path):
    rows = [{k: v for k, v in ppe_row(question_id=f"q{n}").items() if k != "domain"} for n in range(2)]
    path = write_rows(rows, tmp_path / "ifeval.jsonl")
    pairs = get_benchmark("ppe-correctness").load_pairs(path, domains="ifeval")
    assert [p.id for p in pairs] == ["ifeval:q0:0:1", "ifeval:q0:2:3", "ifeval:q1:0:1", "ifeval:q1:2:3"]


@pytest.mark.parametrize(("variant", "per_prompt"), [("diagonal", 3), ("full", 9)])
def test_rmbench_pair_ids_name_the_chosen_and_rejected_style(variant, per_prompt):
    pairs = get_benchmark("rmbench").pairs_from_rows([rm_row("chat/0"), rm_row("x9", "safety-refuse")], variant=variant)
    assert len(pairs) == 2 * per_prompt
    by_id = {p.id: p for p in pairs}
    assert len(by_id) == len(pairs)
    if variant == "diagonal":
        assert list(by_id)[:3] == ["chat/0:0:0", "chat/0:1:1", "chat/0:2:2"]
    else:
        assert list(by_id)[:9] == [f"chat/0:{i}:{j}" for i in range(3) for j in range(3)]
        assert (by_id["x9:0:2"].chosen, by_id["x9:0:2"].rejected) == ("c0", "r2")
        assert by_id["x9:0:2"].metadata["cell"] == (0, 2)
    assert (by_id["x9:1:1"].chosen, by_id["x9:1:1"].rejected, by_id["x9:1:1"].chosen_position) == ("c1", "r1", "A")
    assert by_id["x9:1:1"].metadata["group"] == "safety"
    assert by_id["x9:1:1"].metadata["domain"] == "safety-refuse"


def test_rmbench_refuses_an_unknown_variant():
    with pytest.raises(ValueError, match="variant must be one of diagonal, full"):
        get_benchmark("rmbench").pairs_from_rows([rm_row()], variant="upper")


def test_rmbench_loads_the_per_domain_files_of_its_repository(tmp_path):
    rows = rmbench_rows(2, with_domain=False)
    assert all("domain" not in row for row in rows)
    for domain in ("chat", "code", "math", "safety-refuse", "safety-response"):
        mine = [row for row in rows if row["id"].startswith(f"{domain}/")]
        write_rows(mine, tmp_path / f"{domain}_filtered.json")
    (tmp_path / "README.md").write_text("not data")
    pairs = get_benchmark("rmbench").load_pairs(tmp_path)
    assert len(pairs) == 10 * 3
    domains = Counter(p.metadata["domain"] for p in pairs)
    assert domains == {"chat": 6, "code": 6, "math": 6, "safety-refuse": 6, "safety-response": 6}
    assert all(p.metadata["domain"] == p.id.split("/")[0] for p in pairs)
    assert Counter(p.metadata["group"] for p in pairs)["safety"] == 12
    full = get_benchmark("rmbench").load_pairs(tmp_path / "code_filtered.json", variant="full")
    assert len(full) == 2 * 9 and {p.metadata["domain"] for p in full} == {"code"}


def test_rmbench_pair_ids_stay_unique_when_domain_files_reuse_a_row_id(tmp_path):
    # The RM-Bench repository's chat and code files share some integer ids (23 of them).
    write_rows([without(rm_row(8, "chat"), "domain")], tmp_path / "chat_filtered.json")
    write_rows([without(rm_row(8, "code"), "domain")], tmp_path / "code_filtered.json")
    pairs = get_benchmark("rmbench").load_pairs(tmp_path)
    assert len(pairs) == 6
    assert len({p.id for p in pairs}) == 6, sorted(p.id for p in pairs)


def test_rmbench_folder_without_domain_files_is_an_error(tmp_path):
    (tmp_path / "notes.json").write_text("[]")
    with pytest.raises(BenchmarkDataError, match=r"holds no <domain>_filtered\.json files"):
        get_benchmark("rmbench").load_pairs(tmp_path)


def test_rmbench_row_without_domain_outside_a_domain_file_is_an_error(tmp_path):
    path = write_rows(rmbench_rows(1, with_domain=False), tmp_path / "total_dataset.json")
    with pytest.raises(BenchmarkDataError, match=r"rmbench: row 0 \(id 'chat/0'\): field 'domain' is missing"):
        get_benchmark("rmbench").load_pairs(path)


# --- row and file errors --------------------------------------------------------------------


def without(row, field):
    return {k: v for k, v in row.items() if k != field}


BAD_ROWS = [
    pytest.param(
        "rewardbench",
        [without({**rewardbench_rows(1)[5], "id": 5}, "chosen")],
        "rewardbench: row 0 (id 5): field 'chosen' is missing",
        id="missing-field",
    ),
    pytest.param(
        "judgebench",
        [judgebench_rows(2)[0], {**judgebench_rows(2)[1], "question": 12}],
        "judgebench: row 1 (id 'synthetic-0001'): field 'question' must be a string, got int",
        id="wrong-type",
    ),
    pytest.param(
        "followbench",
        [{**followbench_rows(1)[0], "prompt": True}],
        "followbench: row 0 (id 0): field 'prompt' must be a string, got bool",
        id="bool-for-string",
    ),
    pytest.param(
        "rmbench",
        [{**rm_row("r1"), "chosen": []}],
        "rmbench: row 0 (id 'r1'): field 'chosen' is an empty list",
        id="empty-list",
    ),
    pytest.param(
        "rmbench",
        [rm_row("r1"), {**rm_row("r2"), "rejected": ["r0", "r1"]}],
        "rmbench: row 1 (id 'r2'): field 'rejected' must hold 3 items, got 2",
        id="wrong-list-length",
    ),
    pytest.param(
        "rmbench",
        [{**rm_row("r3"), "chosen": ["c0", 1, "c2"]}],
        "rmbench: row 0 (id 'r3'): field 'chosen' item 1 must be a string, got int",
        id="list-item-type",
    ),
    pytest.param(
        "rmbench",
        [{**rm_row("r4"), "domain": "poetry"}],
        "rmbench: row 0 (id 'r4'): field 'domain' is 'poetry'; expected one of",
        id="bad-domain",
    ),
    pytest.param(
        "judgebench",
        [{**judgebench_rows(1)[0], "label": "A=B"}],
        "judgebench: row 0 (id 'synthetic-0000'): field 'label' is 'A=B'; expected one of 'A>B', 'B>A'",
        id="bad-label",
    ),
    pytest.param(
        "judgebench",
        [{**judgebench_rows(1)[0], "source": "arena-hard"}],
        "judgebench: row 0 (id 'synthetic-0000'): field 'source' is 'arena-hard'",
        id="bad-source",
    ),
    pytest.param(
        "rewardbench",
        [{**rewardbench_rows(1)[0], "subset": "alpacaeval-medium"}],
        "rewardbench: row 0 (id 0): field 'subset' is 'alpacaeval-medium'",
        id="bad-subset",
    ),
    pytest.param(
        "ppe-correctness",
        [ppe_row("q1", correct=(1,), conflicts=((0, 1), (0, 2)))],
        "ppe-correctness: row 0 (id 'q1'): field 'sampled_conflict_pairs' item 1 [0, 2] is not a conflict pair",
        id="not-a-conflict",
    ),
    pytest.param(
        "ppe-correctness",
        [ppe_row("q1", correct=(1,), conflicts=((0, 32),))],
        "ppe-correctness: row 0 (id 'q1'): field 'sampled_conflict_pairs' item 0 must be a pair of indices 0..31",
        id="conflict-out-of-range",
    ),
    pytest.param(
        "ppe-correctness",
        [{**ppe_row("q1"), "scores": [True, False]}],
        "ppe-correctness: row 0 (id 'q1'): field 'scores' must hold 32 booleans, got 2",
        id="scores-length",
    ),
    pytest.param(
        "ppe-correctness",
        [{**ppe_row("q1", correct=(1,), conflicts=((0, 1),)), "scores": ["no", "yes", *["no"] * 30]}],
        "ppe-correctness: row 0 (id 'q1'): field 'scores' item 0 must be",
        id="scores-not-booleans",
    ),
    pytest.param(
        "ppe-preference",
        [without({**ppe_preference_rows(1, ties=0)[0], "winner": "model_b"}, "response_2")],
        "ppe-preference: row 0 (id 'pref-00000'): field 'response_2' is missing",
        id="ppe-missing-response",
    ),
    pytest.param(
        "followbench",
        [{**followbench_rows(1)[0], "level": 7}],
        "followbench: row 0 (id 0): field 'level' is 7; expected 1 to 5",
        id="level-out-of-range",
    ),
    pytest.param(
        "judgebench",
        [{**judgebench_rows(1)[0], "pair_id": "  "}],
        "judgebench: row 0 (id '  '): field 'pair_id' is blank; ids name the judgments of a pair",
        id="blank-id",
    ),
    pytest.param(
        "rewardbench",
        ["just text"],
        "rewardbench: row 0 is a str, expected an object",
        id="row-not-an-object",
    ),
]


@pytest.mark.parametrize(("name", "rows", "message"), BAD_ROWS)
def test_a_bad_row_names_the_dataset_the_row_and_the_field(tmp_path, name, rows, message):
    path = write_rows(rows, tmp_path / f"{name}.jsonl")
    with pytest.raises(BenchmarkDataError) as error:
        get_benchmark(name).load_pairs(path)
    assert message in str(error.value)


def test_a_local_file_with_an_unsupported_suffix_is_refused(tmp_path):
    path = write_rows(judgebench_rows(2), tmp_path / "judgebench.csv")
    with pytest.raises(BenchmarkDataError, match=r"judgebench: .*judgebench\.csv has suffix '\.csv'; expected one of"):
        get_benchmark("judgebench").load_pairs(path)


@pytest.mark.parametrize("name", BUILTIN)
def test_a_missing_local_file_is_a_clear_error(tmp_path, name):
    missing = tmp_path / "nowhere" / "data.jsonl"
    with pytest.raises(BenchmarkDataError, match=rf"{name}: data file .*data\.jsonl does not exist"):
        get_benchmark(name).load_pairs(missing)


def test_a_broken_jsonl_line_is_named(tmp_path):
    path = tmp_path / "rb.jsonl"
    path.write_text(json.dumps(rewardbench_rows(1)[0]) + "\n{not json\n")
    with pytest.raises(BenchmarkDataError, match=r"rewardbench: .*rb\.jsonl line 2: not valid JSON \(Expecting prop"):
        get_benchmark("rewardbench").load_pairs(path)


def test_a_file_without_pairs_is_an_error(tmp_path):
    path = write_rows(ppe_preference_rows(0, ties=2), tmp_path / "ties.jsonl")
    with pytest.raises(BenchmarkDataError, match="ppe-preference: the data holds no pairs to judge"):
        get_benchmark("ppe-preference").load_pairs(path)


# --- the hub (datasets.load_dataset replaced: the hub is the remote boundary) ---------------


@pytest.fixture
def hub(monkeypatch):
    """Serve synthetic rows in place of the hub; record every load_dataset call."""
    import datasets

    served = {
        "allenai/reward-bench": rewardbench_rows(1),
        "ScalerLab/JudgeBench": judgebench_rows(4),
        "lmarena-ai/PPE-Human-Preference-V1": ppe_preference_rows(4, ties=2),
        "THU-KEG/RM-Bench": rmbench_rows(1),
    }
    for hub_id, domain in PPE_DOMAIN_OF_HUB_ID.items():  # the hub rows have no domain field
        served[hub_id] = [without(ppe_row(f"{domain}-{n}", domain=domain), "domain") for n in range(2)]
    calls = []

    def load_dataset(path, *args, **kwargs):
        calls.append((path, args, kwargs))
        return datasets.Dataset.from_list(served[path])

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_rewardbench_reads_the_filtered_split_from_the_hub(hub):
    pairs = get_benchmark("rewardbench").load_pairs()
    assert hub == [("allenai/reward-bench", (), {"split": "filtered"})]
    assert [p.id for p in pairs] == [str(k) for k in range(23)]


@pytest.mark.parametrize(("split", "expected"), [(None, "gpt"), ("gpt", "gpt"), ("claude", "claude")])
def test_judgebench_reads_the_gpt_split_unless_told_otherwise(hub, split, expected):
    pairs = get_benchmark("judgebench").load_pairs(split=split)
    assert hub == [("ScalerLab/JudgeBench", (), {"split": expected})]
    assert [p.id for p in pairs] == [f"synthetic-{k:04d}" for k in range(4)]


def test_an_unknown_hub_split_is_refused_before_any_download(hub):
    with pytest.raises(BenchmarkDataError, match="judgebench: unknown split 'test'; expected one of gpt, claude"):
        get_benchmark("judgebench").load_pairs(split="test")
    assert hub == []


def test_ppe_preference_reads_the_test_split_from_the_hub(hub):
    pairs = get_benchmark("ppe-preference").load_pairs()
    assert hub == [("lmarena-ai/PPE-Human-Preference-V1", (), {"split": "test"})]
    assert [p.id for p in pairs] == [f"pref-{k:05d}" for k in range(4)]  # the 2 tie rows are skipped


def test_ppe_correctness_reads_the_five_best_of_k_datasets(hub):
    pairs = get_benchmark("ppe-correctness").load_pairs()
    assert hub == [(hub_id, (), {"split": "train"}) for hub_id in PPE_HUB_IDS]
    assert len(pairs) == 5 * 2 * 2
    assert pairs[0].id == "mmlu-pro:mmlu-pro-0:0:1"
    assert Counter(p.metadata["group"] for p in pairs) == dict.fromkeys(PPE_DOMAIN_OF_HUB_ID.values(), 4)


def test_ppe_correctness_reads_only_the_domains_asked_for(hub):
    pairs = get_benchmark("ppe-correctness").load_pairs(domains=["gpqa"])
    assert hub == [("lmarena-ai/PPE-GPQA-Best-of-K", (), {"split": "train"})]
    assert [p.id for p in pairs] == ["gpqa:gpqa-0:0:1", "gpqa:gpqa-0:2:3", "gpqa:gpqa-1:0:1", "gpqa:gpqa-1:2:3"]


def test_rmbench_reads_total_dataset_json_from_the_hub(hub):
    pairs = get_benchmark("rmbench").load_pairs()
    assert hub == [("THU-KEG/RM-Bench", (), {"split": "train", "data_files": "total_dataset.json"})]
    assert len(pairs) == 5 * 3


def test_followbench_has_no_hub_copy_and_asks_for_a_local_file(hub):
    with pytest.raises(BenchmarkDataError, match="followbench has no public hub copy; pass a local data file"):
        get_benchmark("followbench").load_pairs()
    assert hub == []


# --- opt-in real data (J1_REAL_DATA names the folder) ------------------------------------------


def real_data(*parts):
    folder = os.environ.get("J1_REAL_DATA")
    if not folder:
        pytest.skip("real benchmark data not configured: set J1_REAL_DATA to its folder")
    path = Path(folder, *parts)
    if not path.exists():
        pytest.skip(f"real benchmark data not found at {path}")
    return path


def test_real_judgebench_gpt_split_has_350_pairs_in_four_categories():
    pairs = get_benchmark("judgebench").load_pairs(real_data("judgebench", "gpt.jsonl"))
    assert len(pairs) == 350 and len({p.id for p in pairs}) == 350
    assert Counter(p.metadata["group"] for p in pairs) == {
        "mmlu-pro": 154,
        "livebench-reasoning": 98,
        "livebench-math": 56,
        "livecodebench": 42,
    }
    assert {p.chosen_position for p in pairs} == {"A", "B"}


def test_real_judgebench_claude_split_has_270_pairs():
    pairs = get_benchmark("judgebench").load_pairs(real_data("judgebench", "claude.jsonl"), split="claude")
    assert len(pairs) == 270


@pytest.mark.parametrize(("variant", "expected"), [("diagonal", 2394), ("full", 7182)])
def test_real_rmbench_folder_gives_3_or_9_pairs_per_prompt(variant, expected):
    pairs = get_benchmark("rmbench").load_pairs(real_data("rm-bench"), variant=variant)
    assert len(pairs) == expected  # 798 prompts: chat 129, code 228, safety-refuse 284, safety-response 157
    per_prompt = expected // 798
    assert Counter(p.metadata["domain"] for p in pairs) == {
        "chat": 129 * per_prompt,
        "code": 228 * per_prompt,
        "safety-refuse": 284 * per_prompt,
        "safety-response": 157 * per_prompt,
    }


def test_real_rmbench_pair_ids_are_unique_across_domains():
    # The repository's per-domain files reuse some row ids across domains (e.g. chat and code),
    # so a pair id must still tell those prompts apart: judgments are matched to pairs by id.
    pairs = get_benchmark("rmbench").load_pairs(real_data("rm-bench"))
    repeated = [pair_id for pair_id, count in Counter(p.id for p in pairs).items() if count > 1]
    assert repeated == [], f"{len(repeated)} pair ids name more than one pair, e.g. {repeated[:3]}"
