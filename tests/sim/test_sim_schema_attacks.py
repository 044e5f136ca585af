"""review2: the simulator's <Pay> against Twilio's generated TwiML types (twilio-node
src/twiml/VoiceResponse.ts: PayLanguage, PayStatusCallbackMethod, PayValidCardTypes,
PromptCardType, ``attempt?: number[]``, ``requireMatchingInputs?: boolean``) and Twilio's
<Pay> docs. Each case is something Twilio's schema refuses; the simulator should answer
``validation-error`` without asking the caller anything."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sim.sim_helpers import HANGUP, call, pay_app, posted


@pytest.mark.parametrize(("attrs", "prompt"), [
    ({"language": "xx-XX"}, {}),  # PayLanguage: de-DE, en-AU, ..., en-US, es-US, fr-FR, it-IT
    ({"status_callback": "/voice/pay-status", "status_callback_method": "PUT"}, {}),
    ({"valid_card_types": "visa bogus-card"}, {}),  # PayValidCardTypes
    ({"security_code": "maybe"}, {}),  # securityCode?: boolean
    ({}, {"for_": "payment-card-number", "card_type": "bogus-card"}),  # PromptCardType
    ({}, {"for_": "payment-card-number", "attempt": "first"}),  # attempt?: number[]
    ({}, {"for_": "bank-account-number", "require_matching_inputs": "perhaps"}),
    ({}, {"for_": "payment-card-number expiration-date"}),  # PromptFor is one value
])
def test_values_twilios_types_refuse_are_a_validation_error(attrs: dict[str, Any],
                                                            prompt: dict[str, str]) -> None:
    prompts = ((prompt, "A prompt."),) if prompt else ()
    app = pay_app(prompts, charge_amount="1", **attrs)
    call(app, HANGUP)  # a caller who hangs up if asked anything
    assert posted(app)["Result"] == "validation-error"


def test_bank_account_type_on_a_card_pay_is_refused() -> None:
    """VoiceResponse.ts on bankAccountType: "If set, payment method attribute must be
    provided and value should be set to ach-debit"."""
    app = pay_app(charge_amount="1", bank_account_type="consumer-savings")
    call(app, HANGUP)  # a caller who hangs up if asked anything
    assert posted(app)["Result"] == "validation-error"


def test_an_ach_pay_without_the_name_on_the_account_is_refused() -> None:
    """Twilio error 64014: "ECP/ACH requires AVSName Parameter in the <Pay> verb"."""
    app = pay_app(payment_method="ach-debit", avs_name="")
    call(app, HANGUP)  # a caller who hangs up if asked anything
    assert posted(app)["Result"] == "validation-error"
