"""Phone numbers: the quick way a North American number is read gives phonenumbers' answer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.phones import _parsed_e164, e164_of_valid, to_e164

WAYS = ["({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "{a}{b}{c}", "+1 {a} {b} {c}",
        "1-{a}-{b}-{c}", "1{a}{b}{c}", "+1{a}{b}{c}", "({a}){b}-{c}", "+1 ({a}) {b}-{c}",
        "{a} {b} {c}", "1 ({a}) {b} {c}"]


@settings(max_examples=2000, deadline=None)
@given(way=st.sampled_from(WAYS), area=st.integers(0, 999), exchange=st.integers(0, 999),
       line=st.integers(0, 9999))
def test_a_number_written_a_usual_way_reads_as_phonenumbers_reads_it(
        way: str, area: int, exchange: int, line: int) -> None:
    raw = way.format(a=f"{area:03}", b=f"{exchange:03}", c=f"{line:04}")

    e164 = to_e164(raw)

    assert e164 == _parsed_e164(raw, "US")
    if e164 is not None:
        assert e164_of_valid(raw) == e164


@pytest.mark.parametrize(("raw", "e164"), [
    ("(415) 555-0100", "+14155550100"),  # the US, read the quick way
    ("+1 604 555 0100", "+16045550100"),  # Canada: not the US's patterns, so phonenumbers'
    ("(211) 555-0100", None),  # no such area code
    ("415-555-0100 ext. 7", "+14155550100"),  # not a usual way: phonenumbers reads it
    ("+44 20 7946 0958", "+442079460958"),
    ("anonymous", None),
    ("", None),
])
def test_to_e164(raw: str, e164: str | None) -> None:
    assert to_e164(raw) == e164
