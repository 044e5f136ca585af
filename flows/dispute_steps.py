"""Questioning a charge: the caller records a message, which opens a dispute case.

The case number is read digit by digit, in two groups of four, and texted. A recording
too short to be a message opens nothing: the caller may record again or go back to the
main menu. Which key runs which action is declared in ``flows.table``.
"""

from __future__ import annotations

from flows.context import Context
from flows.outcomes import Finish, Go, Outcome
from flows.recording import Recording, RecordingReport
from flows.speech import Digits, Prompt, say
from flows.state import CallState, Step

# The longest message: two minutes, as the instruction says.
DISPUTE_RECORDING = Recording(max_seconds=120)
CASE_DIGIT_GROUP = 4


def recorded(state: CallState, report: RecordingReport | None, ctx: Context) -> Outcome:
    """Open a case for a message; say its number. No message: say so and offer to try again.

    A caller who hung up while recording still gets a case (and its text): Twilio keeps
    the recording and reports it, and the answer goes unheard.
    """
    if report is None or not report.is_message:
        if report is not None and report.hung_up:
            return Finish([])
        return Go(Step.DISPUTE_EMPTY, [say("error.dispute_no_message")])
    case = ctx.ports.open_dispute(state.chosen_account_id, state.call_sid, report,
                                  state.caller, state.language)
    state.dispute_case = case.number
    if report.hung_up:
        return Finish([])
    said = [say("info.dispute_opened"), *case_number_prompts(state)]
    if case.texted:
        said.append(say("info.dispute_texted"))
    return Go(Step.DISPUTE_DONE, said)


def case_number_prompts(state: CallState) -> list[Prompt]:
    """The case number, digit by digit, in groups the caller can write down."""
    number = Digits(state.dispute_case or "", group=CASE_DIGIT_GROUP)
    return [say("info.dispute_case_number", number=number)]


def hear_case_number(state: CallState, ctx: Context) -> Outcome:
    """The case number again."""
    return Go(Step.DISPUTE_DONE, case_number_prompts(state))

