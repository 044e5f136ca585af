"""Payments after the caller authorises them: the ledger, charging, reconciling, settling, runs.

This package owns money. :mod:`~ivr.payments.ledger` is the only code that changes a payment's
status or an account's balance; :mod:`~ivr.payments.charges` calls the gateway for a payment
the ledger has written ahead; :mod:`~ivr.payments.reconcile`, :mod:`~ivr.payments.settlement`
and :mod:`~ivr.payments.scheduled` are the operator jobs. It may import ``models``, ``flows``
(for plain data and prompts) and the gateway, SMS and audit modules of ``ivr``; it never
imports the web layer.
"""
