"""A script's language, and its checks by prompt id (``expect_prompt``, ``expect_sms_prompt``).

A script that names its language (``language: es-US``, or ``ivr call --language es-US``) is
played in it: at the first question, a caller who hears the line in another language picks
the offer of theirs by its words ("Para español, oprima 9", the catalog's
``option.language``) and presses its key, as a caller who only listens would; the line must
then go on in that language. Its ``expect_prompt`` steps then hold only in that language.
"""

from __future__ import annotations

from flows.speech import languages
from ivr.sim import prompts
from ivr.sim.results import Action, Spoken


class LanguageChooser:
    """Gets the call into ``language`` at its first question (once)."""

    def __init__(self, language: str | None) -> None:
        self.language = language
        self.pressed: str | None = None  # the key pressed for it, once pressed
        self.done = language is None

    def choose(self, heard: list[Spoken]) -> Action | None:
        """The key to press now for the script's language, or None when the call is in it.

        Raises ValueError, saying why, when the line does not offer it or does not switch.
        """
        if self.done:
            return None
        now = heard[-1].language if heard else ""
        if now == self.language:
            self.done = True
            return None
        if self.pressed is not None:
            raise ValueError(f"pressing {self.pressed} for {self.language} left the call in "
                             f"{now or 'no language'}")
        offers = [prompts.match("option.language", spoken) for spoken in heard
                  if spoken.language == self.language]
        key = next((found["key"] for found in offers if found and found.get("key")), None)
        if key is None:
            raise ValueError(f"the call is in {now or 'no language'} and the line does not "
                             f"offer {self.language} (its option.language)")
        self.pressed = key
        return Action("press", key, label=f"{key} (for {self.language})")


def prompt_heard(prompt_id: str, heard: list[Spoken], language: str | None) -> str | None:
    """None when ``prompt_id`` was said (in ``language``, if given), else why not: what was
    heard, each line with its language and the prompts it may be."""
    if prompts.said(prompt_id, heard, language):
        return None
    lines = [f"  IVR [{spoken.language or '?'}]: {spoken.text}"
             f"  ({', '.join(prompts.prompts_in(spoken)) or 'no prompt'})" for spoken in heard]
    where = f" in {language}" if language else ""
    return (f"expected to hear prompt {prompt_id}{where}; heard since the last action:\n"
            + ("\n".join(lines) or "  (nothing)"))


def prompt_texted(prompt_id: str, texts: list[str], language: str | None) -> str | None:
    """None when one of ``texts`` holds ``prompt_id`` (written in ``language``, if given, else
    in any), else why not."""
    among = [language] if language else sorted(languages())
    if any(prompts.written(prompt_id, text, each) for text in texts for each in among):
        return None
    listed = "\n".join(f"  {text}" for text in texts) or "  (none)"
    where = f" in {language}" if language else ""
    return f"no text holds prompt {prompt_id}{where}; texts queued during the call:\n{listed}"
