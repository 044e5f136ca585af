"""IVR_AGENT_HOURS read, asked about and said; times of day said as words."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from flows.hours import parse_hours
from flows.speech import Clock, render, say

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(("text", "written"), [
    ("Mon-Fri 08:00-18:00", "Mon-Fri 08:00-18:00"),
    ("mon-fri 8:00-18:00 ,  saturday 09:30 - 13:05", "Mon-Fri 08:00-18:00, Sat 09:30-13:05"),
    ("Fri-Mon 00:00-24:00", "Fri-Mon 00:00-24:00"),
    ("Sun 10:00-14:00", "Sun 10:00-14:00"),
])
def test_hours_are_read_and_written_back(text: str, written: str) -> None:
    assert parse_hours(text).text() == written
    assert parse_hours(written).text() == written


@pytest.mark.parametrize(("text", "problem"), [
    ("", "one or more ranges"),
    ("Mon-Fri 08:00-18:00,", "one or more ranges"),
    ("Weekdays 08:00-18:00", "'weekdays' is not a day"),
    ("Mon-Fri 8-18", "is not days and times"),
    ("Mon-Fri 18:00-08:00", "closing time must come after the opening time"),
    ("Mon 09:00-09:00", "closing time must come after"),
    ("Mon 09:00-25:00", "'25:00' is not a time"),
    ("Mon 09:60-10:00", "'09:60' is not a time"),
    ("Mon 24:00-24:00", "closing time must come after"),
])
def test_malformed_hours_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_hours(text)


@pytest.mark.parametrize(("moment", "open_"), [
    (datetime(2026, 11, 23, 7, 59), False),  # Monday, before opening
    (datetime(2026, 11, 23, 8, 0), True),
    (datetime(2026, 11, 27, 17, 59), True),  # Friday
    (datetime(2026, 11, 27, 18, 0), False),  # closing time
    (datetime(2026, 11, 21, 9, 30), True),  # Saturday's range
    (datetime(2026, 11, 21, 13, 0), False),
    (datetime(2026, 11, 22, 10, 0), False),  # Sunday
])
def test_agents_are_on_duty_within_a_range(moment: datetime, open_: bool) -> None:
    hours = parse_hours("Mon-Fri 08:00-18:00, Sat 09:00-13:00")
    assert hours.open_at(moment.replace(tzinfo=NEW_YORK)) is open_


def test_a_range_may_wrap_round_the_week() -> None:
    hours = parse_hours("Sat-Mon 10:00-12:00")
    assert [hours.open_at(datetime(2026, 11, day, 11)) for day in range(20, 26)] == [
        False, True, True, True, False, False]  # Friday 20th to Wednesday 25th


def test_hours_are_wall_clock_times_where_the_biller_is() -> None:
    # 14:30 UTC on a Monday is 09:30 in New York: open; 12:30 UTC is 07:30 there: closed.
    hours = parse_hours("Mon-Fri 08:00-18:00")
    assert hours.open_at(datetime(2026, 11, 23, 14, 30, tzinfo=UTC).astimezone(NEW_YORK))
    assert not hours.open_at(datetime(2026, 11, 23, 12, 30, tzinfo=UTC).astimezone(NEW_YORK))


def test_hours_are_said_from_the_catalog() -> None:
    hours = parse_hours("Mon-Fri 08:00-18:00, Sat 09:30-12:00, Sun 00:00-24:00")
    assert render(hours.prompt()) == (
        "Monday to Friday, from eight AM to six PM, and Saturday, from nine thirty AM "
        "to noon, and Sunday, all day")
    assert render(say("agent.hours", hours=parse_hours("Thu 13:05-21:45").prompt())) == (
        "Agents are available Thursday, from one oh five PM to nine forty-five PM.")


@pytest.mark.parametrize(("minutes", "words"), [
    (0, "midnight"), (1440, "midnight"), (720, "noon"), (60, "one AM"), (61, "one oh one AM"),
    (750, "twelve thirty PM"), (1080, "six PM"), (1439, "eleven fifty-nine PM"),
])
def test_times_of_day_are_said_in_words(minutes: int, words: str) -> None:
    assert render(say("value.hours.range", days="Monday", opens=Clock(minutes),
                      closes=Clock(minutes))).endswith(f"from {words} to {words}")
