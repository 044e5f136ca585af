"""``ivr calls ...``: the call log. (A minimal group for ``replay``; ``show`` and ``prune``
join it.)"""

from __future__ import annotations

from flask.cli import AppGroup

from ivr.cli.calls_replay import replay_command

calls_cli = AppGroup("calls", help="The call log: every turn of every call.")
calls_cli.add_command(replay_command)
