"""Project-made judgment pairs that a small instruct model can learn to judge on a CPU.

Four families, each a question with one right and one wrong response; the wrong one is made the
way J1's training data makes rejected responses:

* ``sum`` (verifiable): a one-digit addition; the rejected answer is off by one to three.
* ``capital`` (verifiable): a country's capital; the rejected answer is another country's capital.
* ``category`` (non-verifiable recipe): "name one fruit"; the rejected response answers a modified
  instruction ("name one vegetable") instead of the one asked.
* ``topic`` (non-verifiable recipe): "one sentence about volcanoes"; the rejected response is a
  sentence written for a different topic.

:func:`judgment_pairs` splits every family's *items* (number pairs, countries, category members,
topics) into a training part and a held-out part with a fixed seed before any pair is made, so a
held-out pair never shares its question's item with a training pair. Which response comes first in
the data (``chosen_position``) is drawn from the same seed, so the data carries no position cue.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from j1_plugin.records import PreferencePair

FAMILIES = ("sum", "capital", "category", "topic")
SPLITS = ("train", "heldout")
SPLIT_SEED = 2025
HELDOUT_SHARE = 0.3

CAPITALS = {
    "France": "Paris", "Japan": "Tokyo", "Italy": "Rome", "Germany": "Berlin", "Spain": "Madrid",
    "Egypt": "Cairo", "Russia": "Moscow", "China": "Beijing", "England": "London", "Greece": "Athens",
    "Portugal": "Lisbon", "Austria": "Vienna", "Ireland": "Dublin", "Norway": "Oslo", "Sweden": "Stockholm",
    "Finland": "Helsinki", "Denmark": "Copenhagen", "Poland": "Warsaw", "Hungary": "Budapest",
    "Kenya": "Nairobi", "Peru": "Lima", "Argentina": "Buenos Aires", "Mexico": "Mexico City",
    "Canada": "Ottawa", "Australia": "Canberra", "India": "New Delhi", "Thailand": "Bangkok",
    "South Korea": "Seoul", "Turkey": "Ankara", "Iran": "Tehran", "Cuba": "Havana", "Chile": "Santiago",
    "Belgium": "Brussels", "the Netherlands": "Amsterdam", "Switzerland": "Bern", "Vietnam": "Hanoi",
}  # fmt: skip

CATEGORIES = {
    "fruit": ("apple", "banana", "cherry", "mango", "pear", "peach", "plum", "grape", "lemon", "orange"),
    "vegetable": ("carrot", "potato", "onion", "cabbage", "spinach", "broccoli", "lettuce", "cucumber", "pea", "leek"),
    "animal": ("dog", "cat", "horse", "lion", "tiger", "rabbit", "elephant", "giraffe", "zebra", "bear"),
    "color": ("red", "blue", "green", "yellow", "purple", "pink", "brown", "black", "white", "gray"),
    "musical instrument": ("piano", "guitar", "violin", "drum", "flute", "trumpet", "cello", "harp", "saxophone",
                           "clarinet"),
    "piece of furniture": ("chair", "table", "sofa", "bed", "desk", "shelf", "wardrobe", "stool", "bench", "dresser"),
    "vehicle": ("car", "bus", "truck", "bicycle", "train", "motorcycle", "tram", "van", "tractor", "scooter"),
    "body part": ("hand", "foot", "knee", "elbow", "shoulder", "nose", "ear", "finger", "ankle", "wrist"),
}  # fmt: skip

TOPICS = {
    "volcanoes": "Volcanoes erupt when molten rock rises through the crust.",
    "the moon": "The moon takes about a month to orbit the Earth.",
    "bees": "Bees make honey from the nectar of flowers.",
    "the ocean": "The ocean covers most of the surface of the Earth.",
    "rain": "Rain falls when water droplets in clouds grow heavy.",
    "trees": "Trees take in carbon dioxide and release oxygen.",
    "the sun": "The sun is a star at the centre of our solar system.",
    "snow": "Snow forms when water vapour freezes into ice crystals.",
    "penguins": "Penguins are birds that swim well but cannot fly.",
    "deserts": "Deserts receive very little rain during the year.",
    "coffee": "Coffee is brewed from roasted coffee beans.",
    "bread": "Bread is baked from flour, water and yeast.",
    "the heart": "The heart pumps blood through the body.",
    "rivers": "Rivers carry fresh water from the land to the sea.",
    "owls": "Owls hunt at night and can turn their heads very far.",
    "chess": "Chess is a board game in which each player starts with sixteen pieces.",
    "football": "Football is played by two teams trying to score goals.",
    "mountains": "Mountains are often colder at the top than at the bottom.",
    "cheese": "Cheese is made from milk that has been curdled.",
    "whales": "Whales are mammals that breathe air through a blowhole.",
    "lightning": "Lightning is a giant spark of electricity in the sky.",
    "libraries": "Libraries lend books to the people who visit them.",
    "butterflies": "Butterflies begin their lives as caterpillars.",
    "the wind": "The wind is air moving from high pressure to low pressure.",
    "tea": "Tea is made by soaking dried leaves in hot water.",
    "sharks": "Sharks have skeletons made of cartilage instead of bone.",
    "glaciers": "Glaciers are slow rivers of ice that move downhill.",
    "clocks": "Clocks measure and show the time of day.",
    "honey": "Honey can stay edible for a very long time.",
    "rainbows": "Rainbows appear when sunlight passes through raindrops.",
}

SUM_ITEMS = tuple((a, b) for a in range(1, 10) for b in range(1, 10))


def _split(items: Sequence, split: str, family: str) -> list:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    shuffled = list(items)
    random.Random(f"{SPLIT_SEED}:{family}").shuffle(shuffled)
    cut = round(len(shuffled) * HELDOUT_SHARE)
    return shuffled[:cut] if split == "heldout" else shuffled[cut:]


def _sum_pairs(split: str, rng: random.Random) -> list[tuple[str, str, str, str]]:
    rows = []
    for a, b in _split(SUM_ITEMS, split, "sum"):
        total = a + b
        wrong = total + rng.choice((-3, -2, -1, 1, 2, 3))
        rows.append((f"sum-{a}+{b}", f"What is {a} + {b}?", f"{a} + {b} = {total}", f"{a} + {b} = {wrong}"))
    return rows


def _capital_pairs(split: str, rng: random.Random) -> list[tuple[str, str, str, str]]:
    countries = sorted(CAPITALS)
    rows = []
    for country in _split(countries, split, "capital"):
        other = rng.choice([c for c in countries if c != country])
        rows.append(
            (
                f"capital-{country}",
                f"What is the capital of {country}?",
                f"The capital is {CAPITALS[country]}.",
                f"The capital is {CAPITALS[other]}.",
            )
        )
    return rows


def _category_pairs(split: str, rng: random.Random) -> list[tuple[str, str, str, str]]:
    members = [(category, member) for category, names in CATEGORIES.items() for member in names]
    rows = []
    for category, member in _split(members, split, "category"):
        other = rng.choice([c for c in CATEGORIES if c != category])
        wrong = rng.choice(CATEGORIES[other])
        rows.append(
            (
                f"category-{member}",
                f"Name one {category}.",
                f"{member.capitalize()}.",
                f"{wrong.capitalize()}.",
            )
        )
    return rows


def _topic_pairs(split: str, rng: random.Random) -> list[tuple[str, str, str, str]]:
    topics = sorted(TOPICS)
    rows = []
    for topic in _split(topics, split, "topic"):
        other = rng.choice([t for t in topics if t != topic])
        rows.append((f"topic-{topic}", f"Write one sentence about {topic}.", TOPICS[topic], TOPICS[other]))
    return rows


_BUILDERS: dict[str, Callable[[str, random.Random], list[tuple[str, str, str, str]]]] = {
    "sum": _sum_pairs,
    "capital": _capital_pairs,
    "category": _category_pairs,
    "topic": _topic_pairs,
}


def judgment_pairs(
    split: str, families: Sequence[str] = FAMILIES, *, limit: int | None = None, seed: int = 0
) -> list[PreferencePair]:
    """The ``split`` (``"train"`` or ``"heldout"``) pairs of ``families``, interleaved family by family.

    ``seed`` draws the wrong answers and where the chosen response sits; the item split is fixed.
    ``limit`` keeps the first pairs of the interleaved list, so every family stays represented.
    """
    unknown = [name for name in families if name not in _BUILDERS]
    if unknown:
        raise ValueError(f"unknown pair families {unknown}; choose from {', '.join(FAMILIES)}")
    rng = random.Random(f"{seed}:{split}")
    per_family = []
    for name in families:
        rows = _BUILDERS[name](split, rng)
        rng.shuffle(rows)
        per_family.append(rows)
    pairs = []
    for index in range(max(len(rows) for rows in per_family)):
        for rows in per_family:
            if index < len(rows):
                pair_id, prompt, chosen, rejected = rows[index]
                position = rng.choice("AB")
                pairs.append(
                    PreferencePair(
                        id=f"{split}/{pair_id}",
                        prompt=prompt,
                        chosen=chosen,
                        rejected=rejected,
                        metadata={"family": pair_id.split("-", 1)[0]},
                        chosen_position=position,
                    )
                )
    return pairs[:limit] if limit is not None else pairs


# One-fact questions whose shape the demo never trains on: (question, right answer, wrong answer).
FACTS = (
    ("How many legs does a spider have?", "A spider has eight legs.", "A spider has six legs."),
    ("How many days are in a week?", "A week has seven days.", "A week has five days."),
    ("What colour is the sky on a clear day?", "The sky is blue on a clear day.", "The sky is green on a clear day."),
    ("Which planet do we live on?", "We live on the Earth.", "We live on Mars."),
    ("What do bees make?", "Bees make honey.", "Bees make milk."),
    ("How many hours are in a day?", "A day has twenty-four hours.", "A day has twelve hours."),
    ("What is frozen water called?", "Frozen water is called ice.", "Frozen water is called steam."),
    ("Which animal is known as the king of the jungle?", "The lion is called the king of the jungle.",
     "The rabbit is called the king of the jungle."),
    ("How many months are in a year?", "A year has twelve months.", "A year has ten months."),
    ("What gas do people need to breathe?", "People need oxygen to breathe.", "People need helium to breathe."),
    ("Which season comes after winter?", "Spring comes after winter.", "Autumn comes after winter."),
    ("What is the largest ocean on Earth?", "The Pacific is the largest ocean.", "The Arctic is the largest ocean."),
)  # fmt: skip


def unseen_shape_rows(seed: int = 0, sums: int = 12) -> list[dict[str, str]]:
    """Pairs in RewardBench's row schema whose *shape* the demo's training never shows.

    Two-digit sums (subset ``math-prm``; the demo trains on one-digit ones) and one-fact questions
    (subset ``llmbar-natural``; none of the demo's families). They check that a judge trained on
    the demo's pairs holds up beyond them, through ``j1 eval --tasks j1_rewardbench`` with
    ``--metadata '{"data_file": ...}'`` and the format's default prompt.
    """
    rng = random.Random(f"{seed}:unseen")
    rows = []
    for index in range(sums):
        a, b = rng.randint(11, 49), rng.randint(11, 49)
        wrong = a + b + rng.choice((-10, -2, -1, 1, 2, 10))
        rows.append({"id": f"unseen-sum-{index}", "subset": "math-prm", "prompt": f"What is {a} + {b}?",
                     "chosen": f"{a} + {b} = {a + b}", "rejected": f"{a} + {b} = {wrong}"})  # fmt: skip
    for index, (question, right, wrong) in enumerate(FACTS):
        rows.append({"id": f"unseen-fact-{index}", "subset": "llmbar-natural", "prompt": question, "chosen": right,
                     "rejected": wrong})  # fmt: skip
    return rows
