"""The pytest plugin seen from outside: a project's own test run, with nothing but this
package installed (its entry point loads the plugin), passes and fails as it should."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

# A project's conftest fixing the day, so the due date is said the same every run.
CONFTEST = """
import pytest

@pytest.fixture
def ivr_settings():
    return {"IVR_TODAY": "2026-11-21"}
"""


def run(pytester: pytest.Pytester, tests: str, *args: str,
        conftest: str = CONFTEST) -> pytest.RunResult:
    """Run ``tests`` as a project's test module, under ``--strict-markers``."""
    pytester.makeconftest(conftest)
    pytester.makepyfile(test_calls=tests)
    return pytester.runpytest("--strict-markers", "-p", "no:cacheprovider", *args)


def test_a_project_gets_the_call_fixture_from_the_installed_package(
        pytester: pytest.Pytester) -> None:
    result = run(pytester, """
import pytest

def test_balance(call):
    call.expect_prompt("option.this_account")
    call.press("1")
    call.expect_prompt("ask.pin")
    call.press("2468")
    call.expect("You owe one hundred twenty dollars and forty-five cents, due December fifth.")
    call.hang_up()
    call.expect_end("caller-hangup")

@pytest.mark.ivr_call(from_number="+13125550142")
def test_a_shared_phone_asks_which_account(call):
    call.expect_prompt("ask.account_number")
""")
    result.assert_outcomes(passed=2)


def test_a_projects_settings_reach_the_line(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_past_due(call):
    call.press("1")
    call.press("2468")
    call.expect("was due on December fifth. It is now past due.")
""", conftest=CONFTEST.replace("2026-11-21", "2026-12-10"))
    result.assert_outcomes(passed=1)


def test_a_prompt_not_heard_fails_listing_the_prompt_ids_heard(
        pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_pin_first(call):
    call.expect_prompt("ask.pin")
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*AssertionError: expected to hear prompt ask.pin; heard since the last action:",
        "*IVR [[]en-US[]]: For the account ending in 1 2 3 4, press 1.*(option.this_account)",
        "*prompt ids heard: *option.this_account*",
    ])
    # The failure points at the test's line, not into the plugin.
    result.stdout.fnmatch_lines(['>*call.expect_prompt("ask.pin")'])
    result.stdout.no_fnmatch_line("*pytest_plugin.py*")


def test_words_not_heard_fail_with_the_closest_sentence(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_wrong_words(call):
    call.press("1")
    call.expect("Enter your account number.")
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        '*expected to hear "Enter your account number."; heard since \'caller presses 1\':',
        "*IVR [[]en-US[]]: Enter your PIN.*(ask.pin)",
        '*closest heard sentence: "Enter your PIN."',
    ])


def test_an_unknown_prompt_id_and_a_call_that_ended_fail_saying_so(
        pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_typo(call):
    call.expect_prompt("ask.pinn")

def test_after_the_end(call):
    call.hang_up()
    call.press("1")

def test_not_ended(call):
    call.expect_end("ivr-hangup")
""")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines([
        "*AssertionError: 'ask.pinn' is not a prompt id of any catalog",
        "*AssertionError: cannot press 1: the call has ended (hangup by the caller)*",
        "*AssertionError: expected the call to end with ivr-hangup; the call has not ended*",
    ])
    result.stdout.no_fnmatch_line("*pytest_plugin.py*")


def test_the_plugin_is_the_entry_points(pytester: pytest.Pytester) -> None:
    result = run(pytester, "def test_balance(call):\n    pass\n", "-p", "no:ivr")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'call' not found*"])


def test_the_shells_settings_do_not_reach_the_line(pytester: pytest.Pytester,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's shell set up for a real line (its environment, its agents) must not turn
    a call test into a call on it: the line is the defaults and ``ivr_settings`` only."""
    monkeypatch.setenv("IVR_ENV", "production")
    monkeypatch.setenv("IVR_AGENT_NUMBER", "+18005550123")
    monkeypatch.setenv("IVR_PAYMENT_GATEWAY", "stripe")
    result = run(pytester, """
def test_main_menu(call):
    call.press("1")
    call.press("2468")
    call.press("4")
    call.expect("To question a charge on your bill, press 7.")
    call.expect_not("To speak with an agent")
""")
    result.assert_outcomes(passed=1)


def test_a_failure_after_keying_a_secret_shows_its_kind_not_its_digits(
        pytester: pytest.Pytester) -> None:
    result = run(pytester, """
VISA = "".join(["4242"] * 4)  # not in the test's source as one number

def test_card(call):
    for keys in ("1", "2468", "1", VISA + "#"):
        call.press(keys)
    call.expect("nothing like this")
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*heard since 'caller presses <card number, 16 digits>#':"])
    result.stdout.no_fnmatch_line("*4242424242424242*")
