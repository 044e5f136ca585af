"""The telephone authorisation of bank debits (NACHA TEL): every element said, and the words
kept exactly as they were said, in the call's language, with the key pressed.

Expected values are rendered from the catalogs (money, dates, digits, the phone number), so
these tests check the elements are there, not the English around them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml

from flows import speech
from flows.authorisation import AGREE_AUTOPAY, AGREE_DEBIT, agree_option
from flows.menus import method_words
from flows.ports import AccountSummary, SavedMethod
from flows.speech import Money, Phone, render, say
from flows.state import Step
from tests.fake_ports import FakePorts
from tests.flow_helpers import BILLER_PHONE, OTHER, TODAY, Caller, at_main_menu, verified

ROUTING, BANK_ACCOUNT = "110000000", "000123456789"
# A new checking account, keyed twice: at the offer to pay now, or among the methods.
BANK = ("2", "1", ROUTING, BANK_ACCOUNT, BANK_ACCOUNT)
BILLER = "Riverside Water"


def words(value: object) -> str:
    """A value as the catalog says it."""
    return speech.speak_value(value)


def checking_6789() -> str:
    return render(method_words("bank", "checking", "6789"))


def debit_elements(total_cents: int, on: date) -> list[str]:
    """What a one-time debit's authorisation must name, as said."""
    return [words(TODAY), "Jordan Rivera", BILLER, words(Money(total_cents)), words(on),
            checking_6789(), words(Phone(BILLER_PHONE))]


def test_a_debit_today_names_every_element_and_is_kept_as_said(ports: FakePorts) -> None:
    caller = verified(ports, biller_name=BILLER)
    heard = caller.press_all(*BANK)
    assert caller.state.step is Step.PAY_CONFIRM
    for element in debit_elements(12045, TODAY):
        assert element in heard, element
    assert render(say("auth.revoke_today", phone=Phone(BILLER_PHONE))) in heard
    caller.press("1")
    [order] = ports.orders
    assert order.authorization_text is not None and order.authorization_key == "1"
    # The words kept are the words said, ending with the option that authorises.
    assert order.authorization_text in heard
    assert order.authorization_text.endswith(render(agree_option(AGREE_DEBIT)))
    assert order.authorization_text.startswith(f"Today, {words(TODAY)}")


def test_a_scheduled_debit_says_its_date_and_how_to_revoke_before_it(ports: FakePorts) -> None:
    caller = verified(ports, biller_name=BILLER)
    heard = caller.press_all(OTHER, "2", "1201", *BANK)
    on = date(2026, 12, 1)
    for element in debit_elements(12045, on):
        assert element in heard, element
    assert render(say("auth.revoke_scheduled", date=on, phone=Phone(BILLER_PHONE))) in heard
    caller.press("1")
    [order] = ports.orders
    assert order.scheduled_for == on
    assert order.authorization_text is not None and order.authorization_text in heard


def test_the_debit_is_for_the_total_with_the_fee(ports: FakePorts) -> None:
    caller = verified(ports, fee_flat_cents=150)
    heard = caller.press_all(*BANK)
    assert f"debit of {words(Money(12195))}" in heard


def bank_offers(heard: str) -> list[str]:
    """The bank accounts a menu just heard offers: new, or on file (checking ending 6789)."""
    offers = [render(say(option, key=speech.Key(key))) for key in "123"
              for option in ("option.new_bank", "option.now_by_bank")]
    return [offer for offer in [*offers, checking_6789()] if offer in heard]


def test_an_account_without_a_name_is_offered_no_bank_debit(ports: FakePorts) -> None:
    # NACHA TEL: the authorisation names the consumer; an account imported without a name
    # is offered cards only - neither a new bank account, nor one on file, nor AutoPay by one.
    ports.accounts[1] = AccountSummary(1, "10001234", 12045, date(2026, 12, 5))
    ports.saved[1] = [SavedMethod(7, "bank", "checking", "6789")]
    caller = verified(ports)
    assert bank_offers(caller.text) == []
    caller.choose("other amounts")
    assert caller.press_all("1", "50", "1") and caller.state.step is Step.PAY_METHOD
    assert bank_offers(caller.text) == []
    heard = at_main_menu(ports).press_all("4", "2")
    assert render(say("info.autopay_needs_method")) in heard


def named_without_phone(ports: FakePorts, phone: str | None = None) -> Caller:
    """Ana, whose account has no phone (unless given), calls with her caller ID withheld."""
    ports.add(6, "60001111", "1111", 5000, date(2026, 12, 5), phone=phone, name="Ana Lopez")
    caller = Caller(ports, caller=None)
    caller.press_all("60001111", "1111")
    assert caller.state.step is Step.PAY_NOW
    return caller


def test_no_bank_debit_is_offered_when_no_written_notice_can_reach_the_payer(
        ports: FakePorts) -> None:
    # The line records no call, so a single TEL debit's proof is its written notice: with
    # the caller ID withheld and no phone on the account, it could go nowhere.
    assert bank_offers(named_without_phone(ports).text) == []


def test_a_withheld_caller_id_is_offered_a_bank_debit_noticed_to_the_accounts_phone(
        ports: FakePorts) -> None:
    assert bank_offers(named_without_phone(ports, "+13125550100").text) != []


def test_a_card_payment_has_no_bank_authorisation(ports: FakePorts) -> None:
    heard = verified(ports).press_all("1", "4242424242424242", "1230", "123", "94105")
    assert words(Phone(BILLER_PHONE)) not in heard
    assert render(agree_option(AGREE_DEBIT)) not in heard


def autopay_with_bank(ports: FakePorts, due: date) -> tuple[Caller, str]:
    """Jordan turns AutoPay on with a checking account on file."""
    ports.saved[1] = [SavedMethod(7, "bank", "checking", "6789")]
    ports.accounts[1] = AccountSummary(1, "10001234", 12045, due, name="Jordan Rivera")
    caller = at_main_menu(ports, biller_name=BILLER)
    caller.press_all("4", "2")
    return caller, caller.press("1")


def test_autopay_by_bank_is_a_standing_authorisation_kept_as_said(ports: FakePorts) -> None:
    due = date(2026, 12, 5)
    caller, heard = autopay_with_bank(ports, due)
    for element in [words(TODAY), "Jordan Rivera", BILLER, checking_6789(), words(due),
                    words(Phone(BILLER_PHONE))]:
        assert element in heard, element
    assert render(agree_option(AGREE_AUTOPAY)) in heard
    caller.press("1")
    agreed = ports.authorizations[1]
    assert agreed is not None and agreed.key == "1" and agreed.text in heard
    assert agreed.text.endswith(render(agree_option(AGREE_AUTOPAY)))


def test_autopay_after_the_due_date_starts_with_the_next_one(ports: FakePorts) -> None:
    _, heard = autopay_with_bank(ports, date(2026, 11, 1))
    assert f"starting {render(say('value.next_due_date'))}" in heard


def test_autopay_by_card_keeps_no_bank_authorisation(ports: FakePorts) -> None:
    ports.saved[1] = [SavedMethod(7, "card", "Visa", "4242", "1230")]
    caller = at_main_menu(ports)
    heard = caller.press_all("4", "2", "1")
    assert render(say("option.autopay_confirm_on", key=speech.Key("1"))) in heard
    caller.press("1")
    assert ports.autopay == {1: 7} and ports.authorizations[1] is None


def test_an_arrangement_by_bank_is_authorised_as_said(ports: FakePorts) -> None:
    ports.accounts[2] = AccountSummary(2, "20005678", 8910, date(2026, 11, 1), name="Sam Patel")
    caller = Caller(ports, caller="+12125550199")
    caller.press_all("1", "5678")
    caller.choose("more options")
    caller.press_all("5", "2", "1201", "1215")
    heard = caller.press_all(*BANK)
    for element in [words(TODAY), "Sam Patel", checking_6789(), words(Phone(BILLER_PHONE))]:
        assert element in heard, element
    caller.press("1")
    agreed = ports.authorizations[2]
    assert agreed is not None and agreed.key == "1"
    # The plan read back is part of what was agreed: the amounts and dates it names.
    assert agreed.text in heard and words(date(2026, 12, 15)) in agreed.text


def loud(text: object) -> str:
    """``text`` with every word outside ``{placeholders}`` in capitals."""
    return "".join(part if part.startswith("{") else part.upper()
                   for part in re.split(r"(\{[^}]*\})", str(text)))


@pytest.fixture
def pseudo_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A second language, "en-XA": US English with every word of every entry in capitals."""
    for path in speech.CATALOG_DIR.glob("en-US*.yaml"):
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        (tmp_path / path.name).write_text(yaml.safe_dump(entries), encoding="utf-8")
        capitals = {key: text if key.startswith("language.") else loud(text)
                    for key, text in entries.items()}
        (tmp_path / path.name.replace("en-US", "en-XA")).write_text(
            yaml.safe_dump(capitals), encoding="utf-8")
    monkeypatch.setattr(speech, "CATALOG_DIR", tmp_path)
    speech.load_catalog.cache_clear()
    yield "en-XA"
    speech.load_catalog.cache_clear()


def test_the_words_kept_are_in_the_calls_language(ports: FakePorts,
                                                   pseudo_language: str) -> None:
    # Said in the account's language (the caller's, once chosen), whatever the line's.
    ports.set_language(1, pseudo_language)
    caller = verified(ports)
    caller.press_all(*BANK, "1")
    [order] = ports.orders
    assert order.authorization_text is not None
    assert order.authorization_text.startswith("TODAY, ")
    assert "TO AUTHORIZE THIS DEBIT, PRESS 1." in order.authorization_text
