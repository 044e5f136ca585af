"""Text messages: the outbox every worker drains, and the backends that send (console, Twilio).

It may import ``models``, ``flows`` (for plain data) and the ``ivr`` foundation modules; it
never imports payments, the web layer or the operator commands.
"""
