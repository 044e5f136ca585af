"""What a step handler may consult: the ports, this turn's settings, and the agents' desk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from flows.hours import AgentDesk
from flows.ports import AccountSummary, FlowSettings, Ports
from flows.speech import Prompt, say
from flows.state import CallState


class CallPorts(Ports, Protocol):
    """:class:`Ports`, and keeping a caller's request to be called back (flows.agent_steps)."""

    def request_callback(self, account_id: int | None, number: str, call_sid: str,
                         verified: bool) -> None:
        """Keep the call's request to be called back at E.164 ``number``, once a call (a
        second request changes nothing); ``verified``: the caller passed the PIN check."""


@dataclass(frozen=True)
class Context:
    """The outside world for one turn: ``agents`` says whether a transfer reaches one now."""

    ports: CallPorts
    settings: FlowSettings
    agents: AgentDesk = field(default_factory=AgentDesk)

    def account(self, state: CallState) -> AccountSummary:
        """The caller's chosen account (the flow only keeps ids it looked up)."""
        return self.ports.get_account(state.chosen_account_id)

    def biller(self) -> str | Prompt:
        """Who the caller pays, as named in an authorisation: the setting, or the catalog's
        general name for a biller when none is set."""
        return self.settings.biller_name or say("value.default_biller")
