"""Stateful stand-ins for the payment providers' HTTP APIs, served through requests-mock.

Each one behaves like its provider for the requests this line sends: it keeps what it was
asked to charge, answers in the provider's published shapes (its test cards decline as the
provider documents), replays or refuses a repeated request as the provider would, and can
rehearse two faults: ``lost-reply`` (the request is carried out, then the answer is lost as a
read timeout) and ``down`` (the connection is never made).

- :mod:`.stripe` — PaymentIntents (created, listed, searched), Customers, PaymentMethods and
  SetupIntents;
- :mod:`.authorize_net` — createTransactionRequest (cards, TEL eCheck debits, profiles), its
  duplicate window, the Transaction Details API, customer profiles, settlement and returns.

Install one on a ``requests_mock.Mocker`` (the ``requests_mock`` fixture, or one opened by a
simulator run) with ``StandIn().install(mocker)``.
"""
