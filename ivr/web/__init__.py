"""The web layer: Twilio's voice webhooks, a call's turns, TwiML and the health check.

It owns HTTP: signature checks, Twilio's form fields (including ``<Pay>``'s), rendering a
flow's reply as TwiML, and turning an exception into a spoken apology. It may import
``flows``, ``models`` and every ``ivr`` sub-package below it (``ports``, ``payments``,
``sms``, ``security``) but never ``ops``, ``cli`` or ``sim``.
"""
