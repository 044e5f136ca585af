"""The simulator's ``<Pay>``: prompts, checks, retries, the sandbox connector and masking.

A small fake app (``tests.sim.sim_helpers.pay_app``, which checks every signature) answers
``/voice`` with a ``<Pay>`` built by twilio's own ``Pay``/``Prompt`` classes; its action
handler says the ``Result`` it was posted. Bank debits and optional fields:
``tests/sim/test_sim_pay_options.py``.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from ivr.errors import ScriptFailure
from ivr.payments.gateways.sandbox import SANDBOX_OUTCOMES, SandboxGateway
from ivr.sim.callers import run_interactive
from ivr.sim.script import (
    run_script,
)
from tests.sim.sim_helpers import (
    ACCOUNT,
    AMEX,
    DISCOVER,
    GOOD_EXPIRY,
    HANGUP,
    SILENCE,
    VISA,
    ZIP,
    Hit,
    call,
    card_keys,
    hits,
    pay_app,
    posted,
    press,
    said,
)


def test_a_charge_posts_twilios_parameters_masked_and_continues_with_the_action() -> None:
    app = pay_app(charge_amount="12.50", description="Bill payment")
    result = call(app, *card_keys())
    params = posted(app)
    assert params["Result"] == "success"
    assert re.fullmatch(r"ch_[0-9a-f]{24}", params["PaymentConfirmationCode"])
    assert "PaymentToken" not in params
    assert params["PaymentCardNumber"] == "xxxx-xxxx-xxxx-4242"
    assert (params["PaymentCardType"], params["ExpirationDate"]) == ("visa", GOOD_EXPIRY)
    assert (params["PaymentCardPostalCode"], params["SecurityCode"]) == (ZIP, "***")
    assert params["PaymentMethod"] == "credit-card"
    assert params["CallSid"] == result.call_sid and params["CallStatus"] == "in-progress"
    assert said(result)[:5] == [
        "Please enter your credit card number, followed by the pound key.",
        "Please enter your expiration date, two digits for the month and two digits for "
        "the year.", "Please enter your security code.",
        "Please enter your billing postal code, followed by the pound key.",
        "Please wait while we process your payment."]
    assert said(result)[-1] == "Result success."
    assert "After the pay verb." not in said(result)
    assert "caller presses 16 digits# (•••• 4242)" in result.transcript
    assert "caller presses 3 digits" in result.transcript
    assert (result.outcome, result.hangup_by) == ("hangup", "ivr")


def test_the_action_defaults_to_the_current_document() -> None:
    app = pay_app(action=None, charge_amount="5")
    call(app, *card_keys(), HANGUP)
    voice_hits = [h for h in hits(app) if h.path == "/voice"]
    # The second /voice runs the <Pay> again, where the caller hangs up.
    assert [h.params.get("Result") for h in voice_hits] == [None, "success", "caller-hung-up"]


@pytest.mark.parametrize("charge", [None, "0"])
def test_tokenising_returns_a_token_the_sandbox_can_charge_later(charge: str | None) -> None:
    app = pay_app(charge_amount=charge)
    call(app, *card_keys())
    params = posted(app)
    assert params["Result"] == "success"
    assert "PaymentConfirmationCode" not in params
    charge_result = SandboxGateway().charge_saved("card", params["PaymentToken"], 1250, "k1",
                                                  "later")
    assert charge_result.approved


def test_a_tokenised_decline_card_still_declines_when_charged_later() -> None:
    app = pay_app()
    call(app, *card_keys("4000000000000002"))
    token = posted(app)["PaymentToken"]
    assert not SandboxGateway().charge_saved("card", token, 100, "k2", "later").approved


@pytest.mark.parametrize(("number", "reason"), sorted(SANDBOX_OUTCOMES.items()))
def test_a_sandbox_decline_is_a_payment_connector_error(number: str, reason: Any) -> None:
    app = pay_app(charge_amount="20.00")
    result = call(app, *card_keys(number))
    params = posted(app)
    assert params["Result"] == "payment-connector-error"
    assert params["ConnectorError"] == reason.value
    assert params["PayErrorCode"] == "64012" and params["PaymentError"]
    assert "PaymentConfirmationCode" not in params
    assert said(result)[-1] == "Result payment-connector-error."


ERROR_CASES = [  # (keys before the bad entry, bad entry, errorType, field)
    ([], "4242424242424241#", "invalid-card-number", "payment-card-number"),
    ([], "4242#", "invalid-card-number", "payment-card-number"),
    ([], DISCOVER + "#", "invalid-card-type", "payment-card-number"),
    ([VISA + "#"], "1320", "invalid-date", "expiration-date"),
    ([VISA + "#"], "0120", "invalid-date", "expiration-date"),
    ([VISA + "#"], "12#", "invalid-date", "expiration-date"),
    ([VISA + "#", GOOD_EXPIRY], "12#", "invalid-security-code", "security-code"),
    ([], None, "timeout", "payment-card-number"),
    ([VISA + "#", GOOD_EXPIRY], None, "timeout", "security-code"),
]


@pytest.mark.parametrize(("before", "bad", "error", "field"), ERROR_CASES)
def test_each_error_says_its_error_prompt_and_asks_again(before: list[str], bad: str | None,
                                                        error: str, field: str) -> None:
    prompts = ((dict(for_=field), f"Enter {field}."),
               (dict(for_=field, error_type=f"{error} internal-error"), f"Oops {error}."),
               (dict(for_=field, error_type="internal-error"), "Wrong prompt."))
    app = pay_app(prompts, charge_amount="1", max_attempts=2)
    good = dict(zip(["payment-card-number", "expiration-date", "security-code", "postal-code"],
                    card_keys(), strict=True))[field]
    result = call(app, *map(press, before), press(bad) if bad else SILENCE, good,
                  *card_keys()[len(before) + 1:])
    spoken = said(result)
    first = spoken.index(f"Enter {field}.")
    assert spoken[first + 1] == f"Oops {error}."
    assert spoken.count(f"Enter {field}.") == 1  # the error prompt replaces the normal one
    assert "Wrong prompt." not in spoken
    assert posted(app)["Result"] == "success"


def test_without_an_error_prompt_twilio_says_what_was_wrong_and_the_prompt_again() -> None:
    app = pay_app(((dict(for_="payment-card-number"), "Card please."),), max_attempts=3)
    result = call(app, press("4242424242424241#"), SILENCE, *card_keys())
    assert said(result)[:5] == ["Card please.", "The card number you entered is not valid.",
                                "Card please.", "Sorry, we did not receive any input.",
                                "Card please."]
    assert posted(app)["Result"] == "success"


def test_prompts_for_an_attempt_and_a_card_type_are_chosen_over_general_ones() -> None:
    prompts = ((dict(for_="payment-card-number"), "Card."),
               (dict(for_="payment-card-number", attempt="2 3"), "Card, second try."),
               (dict(for_="payment-card-number", error_type="timeout", attempt="3"),
                "Last chance."),
               (dict(for_="security-code"), "Code."),
               (dict(for_="security-code", card_type="amex"), "Four digit Amex code."))
    app = pay_app(prompts, max_attempts=3)
    result = call(app, press("1#"), SILENCE, *card_keys(AMEX, "1234"))
    assert said(result)[:5] == ["Card.", "The card number you entered is not valid.",
                                "Card, second try.", "Last chance.",
                                "Please enter your expiration date, two digits for the month "
                                "and two digits for the year."]
    assert "Four digit Amex code." in said(result) and "Code." not in said(result)


@pytest.mark.parametrize(("attempts", "presses"), [(None, 1), ("1", 1), ("2", 2), ("3", 3)])
def test_running_out_of_attempts_posts_too_many_failed_attempts(attempts: str | None,
                                                               presses: int) -> None:
    app = pay_app(max_attempts=attempts, charge_amount="3")
    result = call(app, *[press("4242424242424241#")] * presses)
    params = posted(app)
    assert params["Result"] == "too-many-failed-attempts"
    assert params["PaymentError"] == "invalid-card-number"
    assert "PaymentCardNumber" not in params
    assert sum(line.startswith("caller presses") for line in result.transcript) == presses


@pytest.mark.parametrize(("keys_before", "star_line"), [
    ([], "caller presses 2 digits*"),  # card number and code: secret, shown by count
    ([VISA + "#"], "caller presses 12*"),
    ([VISA + "#", GOOD_EXPIRY], "caller presses 2 digits*"),
])
def test_star_at_any_field_interrupts_the_payment(keys_before: list[str],
                                                  star_line: str) -> None:
    app = pay_app(charge_amount="3")
    result = call(app, *map(press, keys_before), press("12*"))
    params = posted(app)
    assert params["Result"] == "caller-interrupted-with-star"
    assert ("PaymentCardNumber" in params) == bool(keys_before)
    assert "PaymentConfirmationCode" not in params
    assert said(result)[-1] == "Result caller-interrupted-with-star."
    assert star_line in result.transcript


def test_hanging_up_tells_the_action_and_ends_the_call() -> None:
    app = pay_app(charge_amount="3")
    result = call(app, press(VISA + "#"), HANGUP)
    params = posted(app)
    assert (params["Result"], params["CallStatus"]) == ("caller-hung-up", "completed")
    assert params["PaymentCardNumber"] == "xxxx-xxxx-xxxx-4242"
    assert "Result caller-hung-up." not in said(result)  # the call is over: TwiML ignored
    assert (result.outcome, result.hangup_by) == ("hangup", "caller")
    assert hits(app)[-1].path == "/voice/status"


def test_a_bad_attribute_is_a_validation_error_without_asking_anything() -> None:
    app = pay_app(charge_amount="-0.5")
    result = call(app)
    params = posted(app)
    assert params["Result"] == "validation-error"
    assert "chargeAmount='-0.5'" in params["PaymentError"]
    assert not any(line.startswith("caller") for line in result.transcript)


def test_amex_takes_a_four_digit_code_and_is_masked_in_its_own_groups() -> None:
    app = pay_app(charge_amount="1", max_attempts=2)
    result = call(app, press(AMEX + "#"), press(GOOD_EXPIRY), press("123#"), press("1234"),
                  press(ZIP + "#"))
    params = posted(app)
    assert params["Result"] == "success"
    assert (params["PaymentCardNumber"], params["PaymentCardType"]) == ("xxxx-xxxxxx-x0005",
                                                                         "amex")
    assert "The security code you entered is not valid." in said(result)


def test_a_timeout_waits_it_out() -> None:
    fast = call(pay_app(timeout=2, max_attempts=2), SILENCE, *card_keys()).duration
    slow = call(pay_app(timeout=9, max_attempts=2), SILENCE, *card_keys()).duration
    assert slow - fast >= 7


SECRETS = (VISA, AMEX, "1234", ACCOUNT, "000123456788")


def _no_secrets(texts: list[str]) -> None:
    for text in texts:
        for secret in SECRETS:
            # As a value of its own: a random hex CallSid may hold "1234" by chance.
            assert not re.search(rf"(?<![0-9A-Za-z]){secret}(?![0-9A-Za-z])", text), \
                f"{secret} leaked in {text!r}"


def test_no_transcript_line_or_posted_parameter_holds_a_secret() -> None:
    runs = [(pay_app(charge_amount="1"), card_keys(AMEX, "1234")),
            (pay_app(charge_amount="1"), [press(VISA + "#"), press(GOOD_EXPIRY), HANGUP]),
            (pay_app(payment_method="ach-debit", charge_amount="1"),
             [press("021000021#"), press(ACCOUNT + "#")])]
    for app, actions in runs:
        result = call(app, *actions)
        _no_secrets(result.transcript)
        hit_values: list[Hit] = hits(app)
        _no_secrets([value for hit in hit_values for value in hit.params.values()])


def test_a_script_presses_and_expects_at_each_field_and_failures_stay_masked() -> None:
    app = pay_app(charge_amount="9.99")
    steps = [{"expect": "credit card number"}, {"press": VISA + "#"},
             {"expect": "expiration date"}, {"press": GOOD_EXPIRY},
             {"expect": "security code"}, {"press": "123"}, {"expect": "postal code"},
             {"press": ZIP + "#"}, {"expect": "Result success"}, {"expect_end": "ivr-hangup"}]
    run_script(app, {"name": "pay", "steps": steps})
    bad = [{"press": VISA + "#"}]  # runs out of steps at the expiry date
    with pytest.raises(ScriptFailure) as failure:
        run_script(pay_app(), {"name": "pay", "steps": bad})
    # The report says what was keyed and how long, as the call log would: no digits at all.
    assert "'caller presses <card number, 16 digits>#'" in failure.value.message
    assert "turn 1  caller presses <card number, 16 digits>#" in failure.value.message
    assert VISA not in failure.value.message and "4242" not in failure.value.message
    assert "<Pay> expiration-date: 4 digit(s)" in failure.value.message


def test_interactive_keys_prompt_names_the_field() -> None:
    prompts: list[str] = []
    lines: list[str] = []
    keys = io.StringIO(f"{VISA}#\n{GOOD_EXPIRY}\n*\n")
    result = run_interactive(pay_app(charge_amount="1"), stream=keys, echo=lines.append,
                             prompt=prompts.append)
    assert prompts == ["payment-card-number keys> ", "expiration-date keys> ",
                       "security-code keys> "]
    assert "IVR: Result caller-interrupted-with-star." in result.transcript
    _no_secrets(lines)


def test_a_short_postal_code_is_asked_again_in_twilios_words() -> None:
    # Twilio's <Prompt errorType> has no value for a postal code, so the app cannot word it.
    app = pay_app(((dict(for_="postal-code"), "Enter postal-code."),), charge_amount="1",
                  max_attempts=2, min_postal_code_length=5)
    result = call(app, *card_keys()[:3], press("941#"), press("94105#"))
    spoken = said(result)
    assert "The postal code you entered is not valid." in spoken
    assert spoken.count("Enter postal-code.") == 2
    assert posted(app)["Result"] == "success"


@pytest.mark.parametrize(("attrs", "prompt", "refusal"), [
    ({"method": "POST"}, {}, "12200: <Pay> has no attribute 'method'"),
    ({}, {"for_": "postal-code", "error_type": "invalid-postal-code"},
     "64020: <Prompt errorType='invalid-postal-code'> is not one of Twilio's"),
    ({}, {"for_": "zip-code"}, "64020: <Prompt for='zip-code'> is not a <Pay> field"),
    ({"token_type": "forever"}, {}, "tokenType='forever'"),
])
def test_what_twilios_schema_does_not_have_is_refused(attrs: dict[str, str],
                                                      prompt: dict[str, str],
                                                      refusal: str) -> None:
    prompts = ((prompt, "A prompt."),) if prompt else ()
    app = pay_app(prompts, charge_amount="1", **attrs)
    call(app)
    params = posted(app)
    assert params["Result"] == "validation-error"
    assert params["PaymentError"].startswith(refusal)
