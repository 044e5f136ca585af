"""``ivr calls replay``: a logged call played again against the current code.

:mod:`.script` turns its logged turns into a call script (masked entries given demo values,
:mod:`.pay` for ``<Pay>``), :mod:`.run` plays it on a fresh demo database and compares.
"""
