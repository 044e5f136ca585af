"""The simulator's ``<Pay>``: bank debits, optional fields, and its TwiML helpers.

Card payments and the masking of the whole call are in ``tests/sim/test_sim_pay.py``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from ivr.payments.gateways.sandbox import SANDBOX_BANK_RETURNS, SandboxGateway
from ivr.sim.pay_twiml import choose_prompt, mask_account, mask_card, shown_keys
from tests.sim.sim_helpers import (
    ACCOUNT,
    DISCOVER,
    GOOD_EXPIRY,
    VISA,
    ZIP,
    call,
    card_keys,
    hits,
    pay_app,
    posted,
    press,
    said,
)


def test_postal_code_false_skips_the_zip_and_a_value_is_passed_on() -> None:
    skipped = pay_app(postal_code=False, charge_amount="1")
    result = call(skipped, *card_keys()[:3])
    assert not any("postal code" in text for text in said(result))
    assert "PaymentCardPostalCode" not in posted(skipped)
    given = pay_app(postal_code="94105", charge_amount="1")
    call(given, *card_keys()[:3])
    assert posted(given)["PaymentCardPostalCode"] == "94105"


def test_security_code_false_skips_the_code() -> None:
    app = pay_app(security_code=False, charge_amount="1")
    call(app, press(VISA + "#"), press(GOOD_EXPIRY), press(ZIP + "#"))
    assert posted(app)["Result"] == "success" and "SecurityCode" not in posted(app)


def test_discover_is_accepted_when_the_app_lists_it() -> None:
    app = pay_app(charge_amount="1", valid_card_types="visa mastercard amex discover")
    call(app, *card_keys(DISCOVER))
    assert (posted(app)["Result"], posted(app)["PaymentCardType"]) == ("success", "discover")


def test_min_postal_code_length_is_honoured() -> None:
    app = pay_app(charge_amount="1", min_postal_code_length=3)
    call(app, *card_keys()[:3], press("941#"))
    assert posted(app)["PaymentCardPostalCode"] == "941"


@pytest.mark.parametrize("routing", ["021000021", "011000015", "110000000"])
def test_ach_debit_with_a_valid_routing_number(routing: str) -> None:
    app = pay_app(payment_method="ach-debit", charge_amount="40.00",
                  bank_account_type="consumer-savings")
    result = call(app, press(routing + "#"), press(ACCOUNT + "#"))
    params = posted(app)
    assert params["Result"] == "success"
    assert re.fullmatch(r"py_[0-9a-f]{24}", params["PaymentConfirmationCode"])
    assert params["BankRoutingNumber"] == routing
    assert params["BankAccountNumber"] == "**********89"
    assert (params["PaymentMethod"], params["BankAccountType"]) == ("ach-debit",
                                                                    "consumer-savings")
    assert not {"PaymentCardNumber", "PaymentToken"} & set(params)
    assert said(result)[:2] == [
        "Please enter your bank routing number, followed by the pound key.",
        "Please enter your bank account number, followed by the pound key."]


@pytest.mark.parametrize("account", sorted(SANDBOX_BANK_RETURNS))
def test_an_ach_debit_does_not_reveal_its_later_return(account: str) -> None:
    app = pay_app(payment_method="ach-debit", charge_amount="40.00")
    call(app, press("110000000#"), press(account + "#"))
    params = posted(app)
    assert params["Result"] == "success"
    assert not any(SANDBOX_BANK_RETURNS[account] in value for value in params.values())


def test_an_invalid_routing_number_is_asked_again() -> None:
    # Twilio's <Prompt errorType> has no value for bank entries: the errors are its own words.
    app = pay_app(payment_method="ach-debit", charge_amount="1", max_attempts=2)
    result = call(app, press("021000022#"), press("021000021#"), press("12#"),
                  press(ACCOUNT + "#"))
    assert "The routing number you entered is not valid." in said(result)
    assert "The account number you entered is not valid." in said(result)
    assert posted(app)["Result"] == "success"
    failing = pay_app(payment_method="ach-debit", charge_amount="1")
    call(failing, press("123456789#"))
    assert posted(failing)["Result"] == "too-many-failed-attempts"
    assert posted(failing)["PaymentError"] == "invalid-bank-routing-number"


def test_ach_tokenise_gives_a_token_the_sandbox_can_debit() -> None:
    app = pay_app(payment_method="ach-debit")
    call(app, press("110000000#"), press("000111111116#"))
    debit = SandboxGateway().charge_saved("bank", posted(app)["PaymentToken"], 500, "k3", "later")
    assert SandboxGateway().settlement(debit.reference).return_code == "no_account"


def test_require_matching_inputs_asks_twice_and_compares() -> None:
    prompts = ((dict(for_="bank-account-number"), "Account number."),
               (dict(for_="bank-account-number", require_matching_inputs=True), "Once more."),
               (dict(for_="bank-account-number", error_type="input-matching-failed"),
                "They did not match. Account number."))
    app = pay_app(prompts, payment_method="ach-debit", charge_amount="1", max_attempts=2)
    result = call(app, press("021000021#"), press(ACCOUNT + "#"), press("000123456788#"),
                  press(ACCOUNT + "#"), press(ACCOUNT + "#"))
    assert said(result)[1:5] == ["Account number.", "Once more.",
                                 "They did not match. Account number.", "Once more."]
    assert posted(app)["Result"] == "success"


def test_status_callback_hears_each_step_and_the_result() -> None:
    app = pay_app(charge_amount="1", status_callback="/voice/pay-status", max_attempts=2)
    call(app, press("1#"), *card_keys())
    progress = [h.params for h in hits(app) if h.path == "/voice/pay-status"]
    steps = [(p.get("For"), p.get("Attempt"), p.get("ErrorType")) for p in progress[:3]]
    assert steps == [("payment-card-number", "1", None),
                     ("payment-card-number", "2", "invalid-card-number"),
                     ("expiration-date", "1", None)]
    assert progress[-1]["Result"] == "success"
    assert {p["CallSid"] for p in progress} == {hits(app)[0].params["CallSid"]}


def test_choose_prompt_reads_the_prompt_attributes() -> None:
    pay = ET.fromstring(
        '<Pay><Prompt for="security-code" cardType="visa master-card"><Say>a</Say></Prompt>'
        '<Prompt for="security-code"><Say>b</Say></Prompt></Pay>')
    prompts = list(pay)
    chosen = choose_prompt(prompts, "security-code", error=None, attempt=1,
                           card_type="mastercard")
    assert chosen is prompts[0]
    assert choose_prompt(prompts, "security-code", error=None, attempt=1,
                         card_type="amex") is prompts[1]
    assert choose_prompt(prompts, "security-code", error="timeout", attempt=2,
                         card_type="visa") is None


def test_masking_helpers() -> None:
    assert mask_card("4242424242424242") == "xxxx-xxxx-xxxx-4242"
    assert mask_card("4222222222222") == "xxxx-xxxx-x222-2"
    assert mask_account("508862392") == "*******92"
    assert shown_keys("payment-card-number", "4242424242424242#") == "16 digits# (•••• 4242)"
    assert shown_keys("security-code", "1234") == "4 digits"
    assert shown_keys("payment-card-number", "42*") == "2 digits*"
    assert shown_keys("expiration-date", "1239") == "1239"
