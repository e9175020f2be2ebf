"""党费计算器: the brackets of the 2008 regulation, exact to the fen."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings as hsettings, strategies as st

from dangjian.dues.calculator import calculate, round_fen

D = Decimal


@pytest.mark.parametrize("base, rate, amount", [
    ("0", "0.005", "0.00"), ("3000", "0.005", "15.00"), ("3000.00", "0.005", "15.00"), ("3000.01", "0.01", "30.00"),
    ("5000", "0.01", "50.00"), ("5000.01", "0.015", "75.00"), ("10000", "0.015", "150.00"),
    ("10000.01", "0.02", "200.00"), ("2999.99", "0.005", "15.00"), ("1234.5", "0.005", "6.17"),
])
def test_employed_members_pay_by_bracket_each_upper_bound_inside_its_bracket(base, rate, amount):
    quote = calculate("employed", base)
    assert (quote.rate, quote.amount) == (D(rate), D(amount))


@pytest.mark.parametrize("base, rate, amount", [
    ("5000", "0.005", "25.00"), ("5000.01", "0.01", "50.00"), ("4321.10", "0.005", "21.61"),
])
def test_retirees_pay_half_a_percent_up_to_5000_and_one_percent_above(base, rate, amount):
    quote = calculate("retired", base)
    assert (quote.rate, quote.amount) == (D(rate), D(amount))


@pytest.mark.parametrize("category", ["student", "unemployed", "low_income", "farmer"])
def test_flat_categories_pay_twenty_fen_whatever_the_base(category):
    assert calculate(category, "99999").amount == D("0.20")
    assert calculate(category).rate is None


def test_farmer_amount_is_set_per_deployment_within_the_regulation(monkeypatch):
    monkeypatch.setenv("DANGJIAN_RULE_OVERRIDES", '{"dues_farmer_monthly": "0.5"}')
    assert calculate("farmer").amount == D("0.50")
    monkeypatch.setenv("DANGJIAN_RULE_OVERRIDES", '{"dues_farmer_monthly": "2"}')
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="0.2–1"):
        calculate("farmer")


def test_amounts_round_half_up_to_the_fen():
    assert round_fen(D("6.165")) == D("6.17")
    assert round_fen(D("6.164999")) == D("6.16")
    assert calculate("employed", "1233").amount == D("6.17")  # 6.165


@pytest.mark.parametrize("base, message", [
    ("", "请填写月收入"), ("abc", "不是有效的金额"), ("-1", "不能为负数"), ("1.234", "精确到分"),
    ("NaN", "有效的金额"), ("Infinity", "有效的金额"), ("1e12", "金额过大"),
])
def test_bad_bases_are_refused_in_chinese(base, message):
    with pytest.raises(ValidationError) as info:
        calculate("employed", base)
    assert message in info.value.message_dict["base"][0]


def test_full_width_digits_and_thousands_separators_are_read():
    assert calculate("employed", "５，０００．００").amount == D("50.00")


def test_unknown_category_is_refused():
    with pytest.raises(ValidationError) as info:
        calculate("astronaut", "5000")
    assert "党员类别" in info.value.message_dict["category"][0]


@hsettings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, max_value=200000, places=2, allow_nan=False, allow_infinity=False))
def test_employed_amount_is_the_bracket_rate_times_the_base_rounded_to_the_fen(base):
    quote = calculate("employed", str(base))
    expected_rate = (D("0.005") if base <= 3000 else D("0.01") if base <= 5000
                     else D("0.015") if base <= 10000 else D("0.02"))
    assert quote.rate == expected_rate
    assert quote.amount == (base * expected_rate).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    assert quote.amount.as_tuple().exponent == -2


@hsettings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=10000, places=2), st.decimals(min_value=0, max_value=10000, places=2))
def test_a_higher_base_never_pays_less_within_a_bracket(a, b):
    low, high = sorted([a, b])
    q_low, q_high = calculate("employed", str(low)), calculate("employed", str(high))
    if q_low.rate == q_high.rate:
        assert q_low.amount <= q_high.amount


def test_api_returns_decimal_strings(client):
    body = client.get("/api/v1/dues/calculate", {"category": "employed", "base": "5000"}).json()
    assert body == {"category": "employed", "base": "5000.00", "rate": "0.01", "amount": "50.00",
                    "explanation": body["explanation"]}
    assert "第二条" in body["explanation"]
    flat = client.get("/api/v1/dues/calculate", {"category": "student"}).json()
    assert (flat["rate"], flat["amount"], flat["base"]) == (None, "0.20", None)


def test_api_refuses_bad_input_with_400_and_a_chinese_message(client):
    bad = client.get("/api/v1/dues/calculate", {"category": "employed", "base": "abc"})
    assert bad.status_code == 400 and "不是有效的金额" in bad.json()["base"][0]
    assert client.get("/api/v1/dues/calculate", {"category": "x", "base": "1"}).status_code == 400


@pytest.mark.django_db
def test_calculator_page_is_public_and_shows_the_amount(client):
    page = client.get("/dues/calculator/", {"category": "retired", "base": "6000"})
    assert page.status_code == 200
    assert "60.00" in page.content.decode() and "第五条" in page.content.decode()
    bad = client.get("/dues/calculator/", {"category": "employed", "base": "-5"})
    assert "不能为负数" in bad.content.decode()
