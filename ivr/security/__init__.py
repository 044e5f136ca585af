"""Who a caller is and what they tried: PIN hashes, the lockout policy, refused requests, audit;
and the card a caller is keying, encrypted until it is authorised (``card_store``).

It may import ``flows`` (for plain data), ``models`` and the ``ivr`` foundation modules
(``config``, ``db``, ``errors``); nothing else in ``ivr`` imports below it.
"""
