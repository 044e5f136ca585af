"""Payment gateways: one protocol (:mod:`.base`) and one module per gateway.

The sandbox (the default, with rehearsable faults) and Stripe. They import only ``flows``
(for plain data), ``models`` and the ``ivr`` foundation. The payment jobs, the ports, the
factory and the simulator's ``<Pay>`` (which charges through the sandbox) use them.
"""
