"""Payment gateways: one protocol (:mod:`.base`) and one module per gateway.

The sandbox (the default, with rehearsable faults) and Stripe. They may import ``flows``
(for plain data), ``models`` and the ``ivr`` foundation; only ``ivr.payments``, the ports and
the factory use them.
"""
