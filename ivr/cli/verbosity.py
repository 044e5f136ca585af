"""The global ``-v``/``--verbose`` flag of ``ivr``, as the commands below it see it."""

from __future__ import annotations

import click

# Where ``ivr`` records the flag: the root context's meta, shared by every sub-context.
VERBOSE = "ivr.verbose"


def verbose(ctx: click.Context) -> bool:
    """True when ``ivr -v`` asked for log lines on standard error (never under ``flask``)."""
    return bool(ctx.find_root().meta.get(VERBOSE))
