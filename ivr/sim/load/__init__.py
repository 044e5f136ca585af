"""``ivr load``: many simulated callers at once against a running line, and their report.

:mod:`.callers` runs the callers' threads, :mod:`.call` one call, :mod:`.turns` names the
question each request answers, :mod:`.mix` reads the mix, :mod:`.stats` the numbers,
:mod:`.report` and :mod:`.chart` draw them.
"""
