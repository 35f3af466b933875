"""The satisfaction index of PermenPANRB 14/2017, against a worked example computed by hand: the element means
(NRR), the index (IKM = 25 x the mean of the nine NRR), the quality letters at their edges, the sample table."""

from __future__ import annotations

import pytest

from service.domain import skm_index
from service.models.skm import ELEMENTS, UNIT_TYPES

# Ten respondents (rows) answering the nine elements u1..u9 (columns), 1 = worst .. 4 = best.
TEN = [
    (4, 3, 3, 4, 3, 4, 4, 2, 3),
    (3, 3, 2, 4, 3, 3, 4, 3, 3),
    (3, 3, 3, 4, 4, 3, 3, 2, 3),
    (4, 3, 3, 4, 3, 4, 4, 3, 3),
    (3, 3, 2, 4, 3, 3, 3, 2, 2),
    (3, 3, 3, 4, 3, 3, 4, 3, 3),
    (4, 3, 3, 3, 3, 4, 4, 2, 3),
    (3, 3, 2, 4, 3, 3, 3, 3, 3),
    (2, 3, 3, 4, 3, 3, 3, 2, 3),
    (3, 3, 3, 3, 3, 3, 3, 3, 3),
]
# By hand: the column sums, each divided by the 10 respondents.
TEN_TOTALS = {"u1": 32, "u2": 30, "u3": 27, "u4": 38, "u5": 31, "u6": 33, "u7": 35, "u8": 25, "u9": 29}
TEN_NRR = {"u1": 3.2, "u2": 3.0, "u3": 2.7, "u4": 3.8, "u5": 3.1, "u6": 3.3, "u7": 3.5, "u8": 2.5, "u9": 2.9}
# Sum of the NRR: 28.0; IKM = 25 x 28.0 / 9 = 77.777... -> 77.78, in B (76.61-88.30); the weakest: u8 (2.5).
# (The regulation's own sheet weighs each NRR by 0.111 instead of 1/9: 25 x 28.0 x 0.111 = 77.70, also B.)
TEN_IKM = 77.78


def totals_of(rows: list[tuple[int, ...]]) -> dict[str, int]:
    return {element: sum(row[i] for row in rows) for i, element in enumerate(ELEMENTS)}


def test_the_worked_example_of_ten_respondents():
    totals = totals_of(TEN)
    assert totals == TEN_TOTALS
    index = skm_index.compute(len(TEN), totals)
    assert index is not None
    assert index.respondents == 10
    assert index.nrr == pytest.approx(TEN_NRR)
    assert index.ikm == TEN_IKM
    assert index.quality == "B"
    assert index.weakest == "u8"


def test_forty_respondents_four_copies_of_the_ten_give_the_same_index():
    """40 respondents, the size of the issue's acceptance run: the means and the index do not change."""
    index = skm_index.compute(40, totals_of(TEN * 4))
    assert index is not None
    assert (index.nrr, index.ikm, index.quality) == (pytest.approx(TEN_NRR), TEN_IKM, "B")


def test_the_ends_of_the_scale():
    best = skm_index.compute(3, dict.fromkeys(ELEMENTS, 12))
    worst = skm_index.compute(3, dict.fromkeys(ELEMENTS, 3))
    assert best is not None and (best.ikm, best.quality) == (100.0, "A")
    assert worst is not None and (worst.ikm, worst.quality) == (25.0, "D")
    assert best.weakest == "u1", "a tie: the first element in the regulation's order"


def test_one_respondent_rounds_to_two_decimals():
    # 4+4+4+4+4+4+4+4+3 = 35; IKM = 25 x 35 / 9 = 97.222... -> 97.22
    index = skm_index.compute(1, {**dict.fromkeys(ELEMENTS, 4), "u9": 3})
    assert index is not None and (index.ikm, index.quality, index.weakest) == (97.22, "A", "u9")


def test_no_respondents_no_index():
    assert skm_index.compute(0, dict.fromkeys(ELEMENTS, 0)) is None


@pytest.mark.parametrize(
    "ikm,letter",
    [
        (100.0, "A"),
        (88.31, "A"),
        (88.30, "B"),
        (76.61, "B"),
        (76.60, "C"),
        (65.00, "C"),
        (64.99, "D"),
        (25.0, "D"),
        (88.3099, "A"),  # rounded to 88.31 first, as the bands are written
        (76.6049, "C"),  # rounded to 76.60
    ],
)
def test_the_quality_bands_at_their_edges(ikm, letter):
    assert skm_index.quality(ikm) == letter


def test_the_bands_are_the_regulations_table():
    assert skm_index.bands() == [
        ("A", 88.31, 100.0),
        ("B", 76.61, 88.30),
        ("C", 65.00, 76.60),
        ("D", 25.00, 64.99),
    ]


@pytest.mark.parametrize(
    "population,needed",
    [
        (None, None),
        (0, None),
        (-5, None),
        (1, 1),  # never more than the population itself
        (9, 9),
        (10, 10),
        (12, 12),  # the row of 15 asks 14: all 12 then
        (15, 14),
        (16, 16),  # the row of 20 asks 19
        (100, 80),
        (101, 86),  # between two rows: the higher row, the safe side
        (2400, 331),
        (100_000, 384),
        (1_000_000, 384),
    ],
)
def test_the_sample_table(population, needed):
    assert skm_index.sample_needed(population) == needed


def test_the_sample_never_exceeds_the_population_or_the_tables_largest_row():
    for population in range(1, 120_001, 7):
        needed = skm_index.sample_needed(population)
        assert needed is not None and 1 <= needed <= min(population, 384), population


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_questionnaire_holds_the_nine_elements_in_order(locale):
    survey = skm_index.questionnaire(locale, 2000)
    assert survey["locale"] == locale
    assert [element["code"] for element in survey["elements"]] == list(ELEMENTS)
    for element in survey["elements"]:
        name, question, answers = skm_index.ELEMENT_TEXTS[element["code"]][locale]
        assert (element["name"], element["question"]) == (name, question)
        assert element["answers"] == [{"value": v, "label": answers[v - 1]} for v in (1, 2, 3, 4)]
    assert [item["code"] for item in survey["profile"]] == list(skm_index.PROFILE)
    for item in survey["profile"]:
        assert [option["code"] for option in item["options"]] == list(skm_index.PROFILE[item["code"]])
    assert [(band["letter"], band["lowest"], band["highest"]) for band in survey["quality"]] == skm_index.bands()
    assert survey["suggestion"]["max_length"] == 2000


def test_the_questionnaire_speaks_the_locale():
    indonesian, english = skm_index.questionnaire("id", 2000), skm_index.questionnaire("en", 2000)
    assert indonesian["elements"][0]["name"] == "Persyaratan"
    assert english["elements"][0]["name"] == "Requirements"
    assert indonesian["profile"][1]["options"][1]["label"] == "Perempuan"
    assert english["profile"][1]["options"][1]["label"] == "Female"
    assert (indonesian["quality"][0]["label"], english["quality"][0]["label"]) == ("Sangat baik", "Very good")


def test_every_unit_type_has_its_names():
    """The pages, the survey's list and the XLSX report name a unit's type from UNIT_TYPE_NAMES alone."""
    assert set(skm_index.UNIT_TYPE_NAMES) == set(UNIT_TYPES)
    assert all(indonesian and english for indonesian, english in skm_index.UNIT_TYPE_NAMES.values())
