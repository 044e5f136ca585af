"""A pytest plugin for call tests written in Python: the ``call`` fixture.

Installed with this package (its ``pytest11`` entry point, named ``ivr``), so any project
that installs it can write::

    def test_balance(call):
        call.expect_prompt("menu.account_on_file")
        call.press("1")
        call.press("2468")
        call.expect("You owe one hundred twenty dollars")

Each ``call`` is a :class:`~ivr.sim.live.LiveCall` to the line in process, on a fresh
database holding the demo accounts, with the default settings and none of the shell's (the
``ivr_app`` fixture: override it for another app, or ``ivr_settings`` for other settings),
placed when the test starts and hung up when it ends.
``@pytest.mark.ivr_call(from_number=..., to_number=..., language=..., pay_connector=...)``
sets its options; ``call_factory(...)`` places more calls, with options of their own. Checks
look at what was heard since the caller's last action, as a YAML script's do, and fail with
what was heard and the prompt ids it may be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from flask import Flask

from ivr.config import ENV_NAMES
from ivr.sim import prompts
from ivr.sim.keyed import masked, secret_kind
from ivr.sim.live import LiveCall, Turn
from ivr.sim.results import DEFAULT_CONFIDENCE, CallResult
from ivr.sim.scratch import scratch_demo_app
from ivr.sim.script import closest_sentence
from ivr.sim.script_language import prompt_heard
from ivr.sim.script_load import END_OUTCOMES
from ivr.sim.simulator import DEFAULT_FROM, DEFAULT_TO
from ivr.sim.twiml import normalise_space

MARKER = "ivr_call"


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker, so ``--strict-markers`` takes it."""
    config.addinivalue_line("markers", f"{MARKER}(from_number=None, to_number=None, "
                                       "language=None, pay_connector=None): options of the "
                                       "call the `call` fixture places (ivr-paybyphone)")


def _norm(text: str) -> str:
    return normalise_space(text).casefold()


class CallUnderTest:
    """A live call with checks; every check fails as a test does (``AssertionError``)."""

    def __init__(self, live: LiveCall, app: Flask) -> None:
        self.live = live
        self.app = app

    def __repr__(self) -> str:
        last = self.live.last
        state = "not placed" if last is None else f"ended ({last.outcome})" \
            if last.question is None else f"waiting for {last.question.describe()}"
        return f"<call from {self.live.call.from_number}, {state}>"

    # What the caller does: each returns the turn that followed.
    def press(self, keys: str) -> Turn:
        """Press keypad keys, in one entry (``"2468"``, ``"4242424242424242#"``)."""
        __tracebackhide__ = True
        return self._do(f"press {keys}", lambda: self.live.press(keys))

    def say(self, words: str, confidence: float = DEFAULT_CONFIDENCE) -> Turn:
        """Say words where the question takes speech (or speak a message at a ``<Record>``)."""
        __tracebackhide__ = True
        return self._do(f'say "{words}"', lambda: self.live.say(words, confidence))

    def silence(self) -> Turn:
        """Do nothing until the question times out."""
        __tracebackhide__ = True
        return self._do("stay silent", self.live.silence)

    def hang_up(self) -> Turn:
        """Hang up."""
        __tracebackhide__ = True
        return self._do("hang up", self.live.hang_up)

    # What the caller heard.
    @property
    def turn(self) -> Turn:
        """The latest turn: what was heard since the caller's last action."""
        assert self.live.last is not None
        return self.live.last

    @property
    def heard(self) -> list[str]:
        """The ``<Say>`` texts heard since the caller's last action."""
        return self.turn.texts

    @property
    def prompt_ids(self) -> list[str]:
        """The prompt ids those may be."""
        return self.turn.prompt_ids

    @property
    def result(self) -> CallResult:
        """The simulator's record of the call: transcript, outcome, texts once ended."""
        return self.live.call.result

    @property
    def ended(self) -> bool:
        """Whether the call is over."""
        return self.live.ended

    def sms(self) -> list[str]:
        """The texts queued for the caller since the call started."""
        return self.live.call.sms()

    # Checks.
    def expect(self, text: str) -> None:
        """``text`` was heard since the caller's last action (any case and spacing)."""
        __tracebackhide__ = True
        if _norm(text) not in _norm(" ".join(self.heard)):
            closest = closest_sentence(text, self.heard)
            near = f'\nclosest heard sentence: "{closest}"' if closest else ""
            raise AssertionError(f'expected to hear "{text}"; {self.report()}{near}')

    def expect_not(self, text: str) -> None:
        """``text`` was not heard since the caller's last action."""
        __tracebackhide__ = True
        if _norm(text) in _norm(" ".join(self.heard)):
            raise AssertionError(f'"{text}" was heard but must not be; {self.report()}')

    def expect_prompt(self, prompt_id: str, language: str | None = None) -> None:
        """The catalog prompt ``prompt_id`` was said since the caller's last action (in
        ``language``, else the call's ``language`` when it has one, else in any)."""
        __tracebackhide__ = True
        if not prompts.known(prompt_id):
            raise AssertionError(f"{prompt_id!r} is not a prompt id of any catalog")
        spoken = [heard.spoken for heard in self.turn.heard]
        why = prompt_heard(prompt_id, spoken, language or self.live.language)
        if why is not None:
            raise AssertionError(f"{why}\nprompt ids heard: {', '.join(self.prompt_ids)}")

    def expect_end(self, how: str = "hangup") -> None:
        """The call has ended ``how``: one of a script's ``expect_end`` values."""
        __tracebackhide__ = True
        if how not in END_OUTCOMES:
            raise ValueError(f"expect_end: {how!r} is not one of {', '.join(END_OUTCOMES)}")
        turn = self.turn
        by = {"caller-hangup": "caller", "ivr-hangup": "ivr"}.get(how)
        outcome = "hangup" if by else how
        if not turn.ended or turn.outcome != outcome or (by and turn.hangup_by != by):
            now = "the call has not ended" if not turn.ended else \
                f"the call ended with {turn.outcome} by the {turn.hangup_by}"
            detail = f"\n{turn.error}" if turn.error else ""
            raise AssertionError(f"expected the call to end with {how}; {now}{detail}; "
                                 f"{self.report()}")

    def expect_sms(self, text: str) -> None:
        """A text queued for the caller during the call contains ``text``."""
        __tracebackhide__ = True
        bodies = self.sms()
        if not any(_norm(text) in _norm(body) for body in bodies):
            listed = "\n".join(f"  {body}" for body in bodies) or "  (none)"
            raise AssertionError(f'no text to the caller contains "{text}"; texts:\n{listed}')

    def report(self) -> str:
        """What was heard since the caller's last action (keys for a secret shown by kind
        and length, as a script's report shows them), with each line's prompt ids."""
        action = self.live.call.last_action
        since = f"'{masked(action, self._asked_for())}'" if action else "the call started"
        lines = [f"  IVR [{heard.language or '?'}]: {heard.text}  "
                 f"({', '.join(heard.prompt_ids) or 'no prompt'})" for heard in self.turn.heard]
        return f"heard since {since}:\n" + ("\n".join(lines) or "  (nothing)")

    def _asked_for(self) -> str | None:
        """The secret the question before the caller's last action asked for, if it did."""
        asked = self.live.turns[-2] if len(self.live.turns) > 1 else None
        if asked is None or asked.question is None:
            return None
        return secret_kind([heard.spoken for heard in asked.heard], asked.question)

    def _do(self, what: str, action: Callable[[], Turn]) -> Turn:
        """Run one action; a call that can no longer take it fails the test, saying why."""
        __tracebackhide__ = True
        try:
            turn = action()
        except RuntimeError as why:
            raise AssertionError(f"cannot {what}: {why}; {self.report()}") from None
        return turn


class CallFactory:
    """Places calls to ``app``; every call it placed is hung up by :meth:`close`."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.calls: list[CallUnderTest] = []

    def __call__(self, *, from_number: str | None = None, to_number: str | None = None,
                 language: str | None = None, pay_connector: str | None = None) -> CallUnderTest:
        """Place a call and return it at its first question (numbers: the simulator's own
        by default)."""
        live = LiveCall(self.app, from_number=from_number or DEFAULT_FROM,
                        to_number=to_number or DEFAULT_TO, language=language,
                        pay_connector=pay_connector)
        call = CallUnderTest(live, self.app)
        self.calls.append(call)
        live.start()
        return call

    def close(self) -> None:
        """Hang up every call still going."""
        for call in self.calls:
            call.live.close()


@pytest.fixture
def ivr_settings() -> dict[str, Any]:
    """Settings (``IVR_*`` variables) for the line the calls reach; override to change them."""
    return {}


@pytest.fixture
def ivr_app(ivr_settings: dict[str, Any]) -> Iterator[Flask]:
    """The line in process on a fresh SQLite database holding the demo accounts, with the
    default settings and ``ivr_settings``: none of the shell's (a developer's environment may
    be set up for a real line, its gateway and agents)."""
    with ExitStack() as scratch:
        with pytest.MonkeyPatch.context() as shell:
            for name in ENV_NAMES:
                shell.delenv(name, raising=False)
            # A copy of a demo database built once per settings (ivr.sim.scratch).
            app = scratch.enter_context(scratch_demo_app({"TESTING": True, **ivr_settings}))
        yield app


@pytest.fixture
def call_factory(ivr_app: Flask) -> Iterator[CallFactory]:
    """Places calls to ``ivr_app``: ``call_factory(from_number="+13055550173")``."""
    factory = CallFactory(ivr_app)
    yield factory
    factory.close()


@pytest.fixture
def call(call_factory: CallFactory, request: pytest.FixtureRequest) -> CallUnderTest:
    """A call to the line, placed and waiting at its first question (options: the
    ``ivr_call`` marker)."""
    marker = request.node.get_closest_marker(MARKER)
    return call_factory(**(marker.kwargs if marker else {}))
