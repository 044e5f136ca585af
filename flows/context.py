"""What a step handler may consult: the ports and this turn's settings."""

from __future__ import annotations

from dataclasses import dataclass

from flows.ports import AccountSummary, FlowSettings, Ports
from flows.speech import Prompt, say
from flows.state import CallState


@dataclass(frozen=True)
class Context:
    """The outside world for one turn."""

    ports: Ports
    settings: FlowSettings

    def account(self, state: CallState) -> AccountSummary:
        """The caller's chosen account (the flow only keeps ids it looked up)."""
        return self.ports.get_account(state.chosen_account_id)

    def biller(self) -> str | Prompt:
        """Who the caller pays, as named in an authorisation: the setting, or the catalog's
        general name for a biller when none is set."""
        return self.settings.biller_name or say("value.default_biller")
