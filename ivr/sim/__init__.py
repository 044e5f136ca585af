"""The call simulator (``ivr call``): a caller and Twilio, emulated, against a running line.

A product of its own for IVR developers: it posts signed webhooks, reads the TwiML back,
emulates ``<Gather>`` and ``<Pay>`` (charging or tokenising as the sandbox's or Stripe's Pay
Connector would: :mod:`ivr.sim.pay_connectors`), and runs YAML call scripts, one at a time
or many at once against a server (``ivr load``: :mod:`ivr.sim.load`). It may import
every layer below it: scratch copies of the line are built with :mod:`ivr.app` and prepared
by :mod:`ivr.ops.server`. Nothing outside ``ivr.cli`` imports it.
"""
