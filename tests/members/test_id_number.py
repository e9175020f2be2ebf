"""公民身份号码 (GB 11643-1999): check digit, a real date, a known region; errors in Chinese."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings, strategies as st
from stdnum.cn import ric

from factories import member_data
from dangjian.members import actions
from dangjian.members.idnumber import parse_id_number
from dangjian.members.models import Member

REGIONS = ["110101", "110105", "310104", "320505", "440305", "500101", "510104", "610102", "130102", "650102"]


@st.composite
def valid_id_numbers(draw):
    region = draw(st.sampled_from(REGIONS))
    birth = draw(st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2008, 12, 31)))
    seq = draw(st.integers(0, 999))
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0"), birth, seq % 2 == 1


@given(valid_id_numbers())
@settings(max_examples=300, deadline=None)
def test_generated_valid_id_numbers_are_accepted_with_their_birth_date_and_gender(case):
    number, birth, male = case
    facts = parse_id_number(number)
    assert facts.birth_date == birth and facts.is_male == male


@given(valid_id_numbers(), st.integers(0, 17), st.integers(1, 10))
@settings(max_examples=600, deadline=None)
def test_every_single_digit_change_of_a_valid_id_number_is_rejected(case, position, shift):
    number = case[0]
    alphabet = "0123456789X" if position == 17 else "0123456789"
    current = alphabet.index(number[position])
    replacement = alphabet[(current + shift) % len(alphabet)]
    if replacement == number[position]:
        replacement = alphabet[(current + 1) % len(alphabet)]
    mutant = number[:position] + replacement + number[position + 1:]
    with pytest.raises(ValidationError):
        parse_id_number(mutant)


def test_all_mutants_of_one_number_are_rejected_exhaustively():
    body = "11010119800229123"  # 29 February of a leap year
    number = body + ric.calc_check_digit(body + "0")
    parse_id_number(number)
    rejected = 0
    for i in range(18):
        for c in ("0123456789X" if i == 17 else "0123456789"):
            if c != number[i]:
                with pytest.raises(ValidationError):
                    parse_id_number(number[:i] + c + number[i + 1:])
                rejected += 1
    assert rejected == 17 * 9 + 10


@pytest.mark.parametrize("number, message", [
    ("11010119900230123", "18 位"),
    ("1101011990023012X5", "前 17 位须为数字"),
    ("110101199002301230", "出生日期不是有效日期"),
    ("999999199001011230", "行政区划代码"),
    ("110101199001011231", "校验位错误"),
])
def test_bad_id_numbers_get_a_chinese_reason(number, message):
    if message == "行政区划代码":
        number = number[:17] + ric.calc_check_digit(number)
    with pytest.raises(ValidationError) as exc:
        parse_id_number(number)
    assert message in exc.value.messages[0]


def test_region_codes_assigned_after_the_birth_year_are_accepted():
    # Numbers were issued from 1984 with the codes of that time; 500101 (重庆 万州) dates from 1997.
    body = "50010119400101001"
    parse_id_number(body + ric.calc_check_digit(body + "0"))


def test_lower_case_x_check_character_is_accepted():
    for seq in range(1000):
        body = f"11010119850101{seq:03d}"
        if ric.calc_check_digit(body + "0") == "X":
            assert parse_id_number(body + "x").number.endswith("X")
            return
    pytest.fail("no number with check character X found")


def test_birth_date_and_gender_must_agree_with_the_id_number(world):
    data = member_data()
    count = Member.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.do_create_member(data={**data, "birth_date": dt.date(1970, 5, 5), "gender": "female"},
                                 org=world.br1, actor=world.secretary)
    errors = exc.value.message_dict
    assert "出生日期与公民身份号码不一致" in errors["birth_date"][0]
    assert "性别与公民身份号码不一致" in errors["gender"][0]
    assert Member.objects.count() == count
