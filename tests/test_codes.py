"""Tests of coopmetrics.codes: destination codes, repair and grouping profiles."""

from __future__ import annotations

import pytest

from coopmetrics.codes import DESTINATION_CODES, PROFILES, classify, is_known, normalise_code
from coopmetrics.errors import InvalidOptionError


@pytest.mark.parametrize(("raw", "code"), [
    ("10.0", "10"), ("1.0E+1", "10"), ("2.71E+2", "271"), (271, "271"), (80.0, "80"), ("８０", "80"),
    (" 70 ", "70"), ("", None), (None, None), (float("nan"), None), ("nan", None), ("7O", "7O"),
])
def test_normalise_code(raw, code):
    assert normalise_code(raw) == code


def test_is_known_accepts_listed_codes_and_three_digit_family_members():
    got = is_known(["10", "271", "279", "509", "519", "806", "99", "7", "1000", "70"])
    # 279, 509, 519, 806: 3-digit children of the families 27, 50, 51, 80 (local extensions)
    assert got.tolist() == [True, True, True, True, True, True, False, False, False, True]


def test_classify_moe_2021_by_hand():
    codes = ["10", "11", "12", "271", "46", "502", "511", "75", "76", "77", "801", "85", "70", "71", "72", "99"]
    assert classify(codes, "moe_2021") == [
        "contract", "contract", "flexible", "contract", "contract", "contract", "contract", "self_employed",
        "flexible", "flexible", "further_study", "further_study", "not_placed", "not_placed", "not_placed",
        "unknown",
    ]


def test_classify_moe_2024_and_legacy_differ_where_the_editions_differ():
    codes = ["12", "76", "77", "10", "70", "99"]
    assert classify(codes, "moe_2024") == ["employed_unit", "freelance", "freelance", "employed_unit",
                                           "not_placed", "unknown"]
    assert classify(codes, "legacy") == ["employed", "employed", "employed", "employed", "not_placed", "unknown"]


def test_placement_membership_per_profile():
    # under every profile the same codes count as placed; 70/71/72 never do
    placed_codes = ["10", "11", "12", "27", "46", "50", "51", "75", "76", "77", "80", "85"]
    for name, prof in PROFILES.items():
        cats = classify(placed_codes + ["70", "71", "72"], name)
        assert all(c in prof.placed for c in cats[:-3]), name
        assert all(c == "not_placed" for c in cats[-3:]), name


def test_profile_codes_expand_families():
    further = PROFILES["moe_2021"].codes("further_study")
    assert further == sorted(["80", "801", "802", "803", "81", "82", "85"])
    assert all(c in DESTINATION_CODES for c in further)


def test_provisional_flags_and_unknown_profile():
    assert PROFILES["moe_2024"].provisional and not PROFILES["moe_2021"].provisional
    with pytest.raises(InvalidOptionError, match="moe_2021"):
        classify(["10"], "moe2021")


def test_classify_treats_missing_codes_as_unknown():
    assert classify([None, "10"], "moe_2021") == ["unknown", "contract"]


@pytest.mark.parametrize("code,category", [
    ("460103", "46 装备制造大类"), ("510201", "51 电子与信息大类"), ("530302", "53 财经商贸大类"),
    ("520201", "52 医药卫生大类"), ("410101", "41 农林牧渔大类"), ("590101", "59 公共管理与服务大类"),
    ("460103.0", "46 装备制造大类"), ("４６０１０３", "46 装备制造大类"), ("4601", None), ("990101", None), (None, None),
])
def test_major_category_from_the_first_two_digits(code, category):
    from coopmetrics.codes import major_category

    assert major_category([code]).tolist() == [category]


def test_stem_agri_med_prefixes_are_the_first_twelve_categories():
    from coopmetrics.codes import MAJOR_CATEGORIES, STEM_AGRI_MED

    assert len(MAJOR_CATEGORIES) == 19  # 2021 目录 高职专科: 19 大类, codes 41-59
    assert set(STEM_AGRI_MED) == {str(c) for c in range(41, 53)}
    assert MAJOR_CATEGORIES["52"] == "医药卫生大类" and MAJOR_CATEGORIES["53"] == "财经商贸大类"
