"""The call simulator (``ivr call``): a caller and Twilio, emulated, against a running line.

A product of its own for IVR developers: it posts signed webhooks, reads the TwiML back,
emulates ``<Gather>`` and ``<Pay>``, and runs YAML call scripts. It may import ``models`` and
the ``ivr`` foundation, and builds scratch apps through :mod:`ivr.app`; nothing outside
``ivr.cli`` imports it.
"""
