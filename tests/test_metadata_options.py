"""--metadata: unknown keys and ill-typed values are errors naming the key, never silent defaults."""

from __future__ import annotations

import pytest

from j1_plugin.lmeval import MetadataError, check_cli_metadata, run_cli, task_manager
from j1_plugin.lmeval.options import EvalOptions


def options(**metadata):
    return EvalOptions.from_metadata({"benchmark": "judgebench", **metadata})


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"single_order": "ture"}, "'single_order' must be true or false, got 'ture'"),
        ({"samples": 2.7}, "'samples' must be a whole number, got 2.7"),
        ({"samples": "abc"}, "'samples' must be a whole number, got 'abc'"),
        ({"samples": 0}, "'samples' must be at least 1, got 0"),
        ({"seed": 1.9}, "'seed' must be a whole number, got 1.9"),
        ({"top_p": 7}, "'top_p' must be above 0 and at most 1, got 7"),
        ({"temperature": -1}, "'temperature' must be above 0 and at most 100, got -1"),
        ({"temperature": "nan"}, "'temperature' must be a number"),
        ({"max_prompt_tokens": 1.5}, "'max_prompt_tokens' must be a whole number"),
        ({"aggregate": "mean"}, "'aggregate' must be 'vote' or 'mean_score'"),
    ],
)
def test_an_ill_typed_value_is_an_error_naming_its_key(metadata, message):
    with pytest.raises(MetadataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        options(**metadata)


def test_well_typed_values_are_read_as_given():
    read = options(single_order="yes", samples="4", seed=7, top_p=1, temperature=0.7, max_prompt_tokens="none")
    assert (read.single_order, read.samples, read.seed, read.top_p, read.temperature) == (True, 4, 7, 1.0, 0.7)
    assert read.max_prompt_tokens is None and options().max_prompt_tokens == "auto"
    assert options(single_order=False).single_order is False


def test_an_unknown_key_is_an_error_that_suggests_the_nearest_known_key():
    with pytest.raises(MetadataError, match="unknown --metadata key 'singel_order'; did you mean 'single_order'"):
        check_cli_metadata(["--tasks", "j1_judgebench", "--metadata", '{"singel_order": true}'])
    with pytest.raises(MetadataError, match="unknown --metadata key 'zzz'; known keys: "):
        task_manager(include_defaults=False, metadata={"zzz": 1})
    check_cli_metadata(['--metadata={"variant": "full", "domains": "math", "data_dir": "x"}'])


def test_j1_eval_refuses_bad_metadata_in_one_line_before_loading_anything(capsys):
    assert run_cli(["--model", "hf", "--tasks", "j1_judgebench", "--metadata", '{"samples": 2.7}']) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error == ["j1 eval: error: metadata 'samples' must be a whole number, got 2.7"]
    assert run_cli(["--model", "hf", "--tasks", "j1_judgebench", "--metadata", "[1]"]) == 2
    assert "must be one JSON object" in capsys.readouterr().err
