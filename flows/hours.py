"""When agents take calls: ``IVR_AGENT_HOURS`` read, asked about, and said.

The text is one or more ranges separated by commas, each days then times:
``Mon-Fri 08:00-18:00, Sat 09:00-13:00``. Days are English names or their first three
letters (``Mon`` ... ``Sun``, any case), alone or as a range that may wrap round the week
(``Fri-Mon``); times are 24-hour ``HH:MM``, the closing one after the opening one, and
``24:00`` closes at midnight. The hours are wall-clock times in the biller's time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flows.speech import Clock, Prompt, say

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_A_DAY = 24 * 60
_RANGE = re.compile(r"(?P<first>[a-z]+)(?:\s*-\s*(?P<last>[a-z]+))?\s+"
                    r"(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})")


@dataclass(frozen=True)
class HoursRange:
    """Agents answer from ``opens`` to ``closes`` (minutes after midnight) on each day from
    ``first`` to ``last`` (0 is Monday), wrapping round the week when ``last < first``."""

    first: int
    last: int
    opens: int
    closes: int

    @property
    def days(self) -> tuple[int, ...]:
        """The days it covers, in order from ``first``."""
        return tuple((self.first + n) % 7 for n in range((self.last - self.first) % 7 + 1))

    def covers(self, moment: datetime) -> bool:
        """Whether ``moment`` (a wall-clock time in the biller's zone) falls in it."""
        minute = moment.hour * 60 + moment.minute
        return moment.weekday() in self.days and self.opens <= minute < self.closes

    def prompt(self) -> Prompt:
        """ "Monday to Friday, from eight AM to six PM"."""
        days = say(f"value.weekday.{self.first}") if self.first == self.last else \
            say("value.hours.days", first=say(f"value.weekday.{self.first}"),
                last=say(f"value.weekday.{self.last}"))
        if (self.opens, self.closes) == (0, MINUTES_A_DAY):
            return say("value.hours.all_day", days=days)
        return say("value.hours.range", days=days, opens=Clock(self.opens),
                   closes=Clock(self.closes))

    def text(self) -> str:
        """The range as ``IVR_AGENT_HOURS`` writes it."""
        days = _abbreviation(self.first)
        if self.last != self.first:
            days += f"-{_abbreviation(self.last)}"
        return f"{days} {_clock_text(self.opens)}-{_clock_text(self.closes)}"


@dataclass(frozen=True)
class AgentHours:
    """The agents' weekly hours: one or more ranges."""

    ranges: tuple[HoursRange, ...]

    def open_at(self, moment: datetime) -> bool:
        """Whether agents take calls at ``moment`` (wall-clock time in the biller's zone)."""
        return any(part.covers(moment) for part in self.ranges)

    def prompt(self) -> Prompt:
        """Every range, said in order: "A, and B"."""
        said = self.ranges[0].prompt()
        for part in self.ranges[1:]:
            said = say("value.hours.and", first=said, next=part.prompt())
        return said

    def text(self) -> str:
        """The hours as ``IVR_AGENT_HOURS`` writes them (reads back the same)."""
        return ", ".join(part.text() for part in self.ranges)


@dataclass(frozen=True)
class AgentDesk:
    """Whether a transfer reaches an agent this turn (within their hours, or always when
    none are set), and the hours to tell a caller when none can take the call."""

    on_duty: bool = True
    hours: AgentHours | None = None


def parse_hours(text: str) -> AgentHours:
    """Read ``IVR_AGENT_HOURS``; ValueError says what is wrong with which part."""
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or not all(parts):
        raise ValueError("expected one or more ranges like 'Mon-Fri 08:00-18:00', "
                         "separated by commas")
    return AgentHours(tuple(_range(part) for part in parts))


def _range(part: str) -> HoursRange:
    match = _RANGE.fullmatch(part.lower())
    if match is None:
        raise ValueError(f"{part!r} is not days and times like 'Mon-Fri 08:00-18:00'")
    first = _day(match["first"])
    last = _day(match["last"]) if match["last"] else first
    opens, closes = _minutes(match["opens"]), _minutes(match["closes"])
    if opens >= MINUTES_A_DAY or closes <= opens:
        raise ValueError(f"{part!r}: the closing time must come after the opening time on "
                         "the same day (24:00 for midnight)")
    return HoursRange(first, last, opens, closes)


def _day(name: str) -> int:
    for number, day in enumerate(DAY_NAMES):
        if name in (day, day[:3]):
            return number
    raise ValueError(f"{name!r} is not a day: use Mon, Tue, Wed, Thu, Fri, Sat or Sun")


def _minutes(clock: str) -> int:
    hours, minutes = (int(n) for n in clock.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{clock!r} is not a time from 00:00 to 24:00")
    return hours * 60 + minutes


def _abbreviation(day: int) -> str:
    return DAY_NAMES[day][:3].capitalize()


def _clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
