"""``ivr call``: the call simulator command. (Being written.)"""

import click


@click.command("call")
def call_command() -> None:
    """Place a simulated call."""
