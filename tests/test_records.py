"""Records: validation and the order conventions everything else relies on."""

from __future__ import annotations

import pytest

from j1_plugin.records import PreferencePair, to_dataset_frame


def test_a_pair_refuses_non_string_fields_naming_the_field():
    with pytest.raises(TypeError, match=r"PreferencePair 'x': field 'rejected' must be a string, got list"):
        PreferencePair(id="x", prompt="q", chosen="a", rejected=["b"])


def test_orders_place_chosen_first_or_second():
    pair = PreferencePair(id="x", prompt="q", chosen="good", rejected="bad")
    assert pair.responses("AB") == ("good", "bad")
    assert pair.responses("BA") == ("bad", "good")
    assert (pair.label("AB"), pair.label("BA")) == ("A", "B")
    with pytest.raises(ValueError, match="'AB' or 'BA'"):
        pair.responses("ab")


def test_a_pair_can_keep_the_datasets_own_presentation_order():
    pair = PreferencePair(id="jb", prompt="q", chosen="good", rejected="bad", chosen_position="B")
    assert pair.responses("AB") == ("bad", "good") and pair.label("AB") == "B"
    assert pair.responses("BA") == ("good", "bad") and pair.label("BA") == "A"


@pytest.mark.parametrize(
    ("verdict", "order", "expected"),
    [("A", "AB", "A"), ("A", "BA", "B"), ("B", "BA", "A"), ("tie", "BA", "tie"), (None, "BA", None)],
)
def test_verdicts_map_back_to_the_dataset_frame(verdict, order, expected):
    assert to_dataset_frame(verdict, order) == expected
