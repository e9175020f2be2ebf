"""公民身份号码 (GB 11643-1999): ISO 7064 MOD 11-2 check character, a real birth date and a GB/T 2260 region
code; every error is a Chinese sentence, and a member's birth date and gender must agree with the number."""

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

import pytest
import stdnum.cn
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings, strategies as st
from stdnum.cn import ric

from dangjian.members import actions
from dangjian.members.idnumber import known_region, parse_id_number
from dangjian.members.models import Member
from factories import member_data

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARS = "10X98765432"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def gb11643_check_char(body17: str) -> str:
    """The check character computed straight from the standard, independent of python-stdnum."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(body17, WEIGHTS)) % 11]


@lru_cache(maxsize=1)
def county_codes() -> list[str]:
    """Every county-level code of the GB/T 2260 history shipped with python-stdnum (cn/loc.dat)."""
    codes, province = [], None
    for line in (Path(stdnum.cn.__file__).parent / "loc.dat").read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^(\d{2}) ", line):
            province = m.group(1)
        elif (m := re.match(r"^  (\d{4}) county=", line)) and province:
            codes.append(province + m.group(1))
    return codes


def test_the_region_list_is_the_real_one():
    codes = county_codes()
    assert len(codes) > 5000 and "110101" in codes and "440305" in codes and "999999" not in codes


@st.composite
def valid_id_numbers(draw):
    region = draw(st.sampled_from(county_codes()))
    birth = draw(st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date.today()))
    sequence = draw(st.integers(0, 99))
    gender_digit = draw(st.integers(0, 9))
    body = f"{region}{birth:%Y%m%d}{sequence:02d}{gender_digit}"
    return body + gb11643_check_char(body), birth, gender_digit % 2 == 1


@given(valid_id_numbers())
@settings(max_examples=1000, deadline=None)
def test_generated_valid_id_numbers_are_accepted_with_their_birth_date_and_gender(case):
    number, birth, male = case
    facts = parse_id_number(number)
    assert (facts.number, facts.birth_date, facts.is_male) == (number, birth, male)


def single_character_mutants(number: str):
    for position in range(18):
        alphabet = "0123456789X" if position == 17 else "0123456789"
        for char in alphabet:
            if char != number[position]:
                yield position, number[:position] + char + number[position + 1:]


@given(valid_id_numbers())
@settings(max_examples=300, deadline=None)
def test_every_single_digit_change_of_a_valid_id_number_is_rejected(case):
    """All 17 positions × 9 other digits, and the check character × 10 others: 163 mutants, none accepted —
    including changed birth-date digits that still spell a real date (the check character catches those)."""
    number = case[0]
    mutants = list(single_character_mutants(number))
    assert len(mutants) == 17 * 9 + 10
    for position, mutant in mutants:
        with pytest.raises(ValidationError) as exc:
            parse_id_number(mutant)
        assert CHINESE.search(exc.value.messages[0]), (position, mutant, exc.value.messages)


def test_all_mutants_of_a_29_february_number_are_rejected():
    body = "11010119800229123"  # 29 February of a leap year: date-digit changes land on real and unreal dates
    number = body + gb11643_check_char(body)
    parse_id_number(number)
    rejected = 0
    for _, mutant in single_character_mutants(number):
        with pytest.raises(ValidationError):
            parse_id_number(mutant)
        rejected += 1
    assert rejected == 163


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
@settings(max_examples=500, deadline=None)
def test_our_check_character_agrees_with_the_standard(body):
    assert ric.calc_check_digit(body + "0") == gb11643_check_char(body)


def with_check(body17: str) -> str:
    return body17 + gb11643_check_char(body17)


@pytest.mark.parametrize("date", ["19900230", "19900431", "19901301", "19900001", "19900100", "19000229", "20230229",
                                  "00000101"])
def test_impossible_birth_dates_are_rejected_even_with_a_correct_check_character(date):
    with pytest.raises(ValidationError) as exc:
        parse_id_number(with_check(f"110101{date}123"))
    assert exc.value.messages == ["公民身份号码中的出生日期不是有效日期"]


def test_a_birth_date_in_the_future_is_rejected():
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        parse_id_number(with_check(f"110101{tomorrow:%Y%m%d}123"))
    assert "晚于今天" in exc.value.messages[0]


@pytest.mark.parametrize("region", ["999999", "000000", "110199", "830000", "119901", "990101", "450099"])
def test_unknown_region_codes_are_rejected(region):
    number = with_check(f"{region}19900101123")
    with pytest.raises(ValidationError) as exc:
        parse_id_number(number)
    assert exc.value.messages == ["公民身份号码前 6 位不是有效的行政区划代码"]


def test_a_province_prefix_alone_is_not_a_region():
    """python-stdnum 2.2's ric.validate() raises KeyError on 110199 (the look-up matches only the 北京 prefix),
    which is why members.idnumber checks the region itself: it wants a county-level entry."""
    number = with_check("11019919900101123")
    with pytest.raises(ValidationError, match="行政区划代码"):
        parse_id_number(number)


@given(st.text(alphabet="0123456789", min_size=6, max_size=6), st.dates(dt.date(1930, 1, 1), dt.date(2005, 1, 1)))
@settings(max_examples=500, deadline=None)
def test_any_code_missing_from_the_region_table_is_rejected(region, birth):
    assume(region not in set(county_codes()))
    with pytest.raises(ValidationError, match="行政区划代码"):
        parse_id_number(with_check(f"{region}{birth:%Y%m%d}123"))


def test_region_codes_assigned_after_the_birth_year_are_accepted():
    # Numbers were first issued in 1984 with the codes of that time; 500101 (重庆 万州) dates from 1997.
    parse_id_number(with_check("50010119400101001"))
    assert known_region("500101") and not known_region("500199")


@pytest.mark.parametrize("number, message", [
    ("", "公民身份号码应为 18 位"),
    ("11010119900101123", "公民身份号码应为 18 位"),
    ("1101011990010112345", "公民身份号码应为 18 位"),
    ("11010119900101X234", "公民身份号码前 17 位须为数字，最后一位为数字或 X"),
    ("11010119900101123Y", "公民身份号码前 17 位须为数字，最后一位为数字或 X"),
    # Full-width, superscript and Arabic-Indic digits are digits to str.isdigit(), but not in a 公民身份号码.
    ("１１０１０１１９９００１０１１２３４", "公民身份号码前 17 位须为数字，最后一位为数字或 X"),
    ("²10101199001011234", "公民身份号码前 17 位须为数字，最后一位为数字或 X"),
    ("٣10101199001011234", "公民身份号码前 17 位须为数字，最后一位为数字或 X"),
])
def test_malformed_numbers_get_a_chinese_reason(number, message):
    with pytest.raises(ValidationError) as exc:
        parse_id_number(number)
    assert exc.value.messages == [message]


def test_a_wrong_check_character_gets_its_own_reason():
    number = with_check("11010119900101123")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        parse_id_number(wrong)
    assert exc.value.messages == ["公民身份号码校验位错误，请核对后重新输入"]


def test_lower_case_x_and_surrounding_spaces_are_normalised():
    for seq in range(1000):
        body = f"11010119850101{seq:03d}"
        if gb11643_check_char(body) == "X":
            assert parse_id_number(f" {body}x ").number == body + "X"
            return
    pytest.fail("no number with check character X found")


# -- the member record must agree with its number (members.rules.check_member) ---------------------------------

def test_birth_date_and_gender_must_agree_with_the_id_number(world):
    data = member_data()
    count = Member.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.do_create_member(data={**data, "birth_date": dt.date(1970, 5, 5), "gender": "female"},
                                 org=world.br1, actor=world.secretary)
    errors = exc.value.message_dict
    assert errors["birth_date"] == [f"出生日期与公民身份号码不一致（身份证号显示为 {data['birth_date']:%Y年%m月%d日}）"]
    assert errors["gender"] == ["性别与公民身份号码不一致（身份证号显示为男）"]
    assert Member.objects.count() == count


def test_changing_the_id_number_alone_is_refused_when_it_contradicts_the_birth_date(world):
    member = world.members["BR1"][1]
    other = with_check("11010119990909123")
    with pytest.raises(ValidationError) as exc:
        actions.do_update_member(member, data={"id_number": other}, actor=world.secretary)
    assert "出生日期与公民身份号码不一致" in exc.value.message_dict["birth_date"][0]
    assert Member.objects.get(pk=member.pk).id_number == member.id_number


def test_an_invalid_id_number_is_refused_with_the_reason_on_the_field_and_nothing_saved(world):
    data = member_data()
    bad = data["id_number"][:17] + ("0" if data["id_number"][17] != "0" else "1")
    count = Member.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.do_create_member(data={**data, "id_number": bad}, org=world.br1, actor=world.secretary)
    assert exc.value.message_dict["id_number"] == ["公民身份号码校验位错误，请核对后重新输入"]
    assert Member.objects.count() == count


def test_blank_birth_date_and_gender_are_taken_from_the_number(world):
    data = member_data(gender="", birth_date=None)
    number = data["id_number"]
    member = actions.do_create_member(data=data, org=world.br1, actor=world.secretary)
    facts = parse_id_number(number)
    assert member.birth_date == facts.birth_date and member.gender == ("male" if facts.is_male else "female")
