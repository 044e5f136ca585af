"""Payment gateways: one protocol (:mod:`.base`) and a module (or three) per gateway.

The sandbox (the default, with rehearsable faults), Stripe, and Authorize.Net (its gateway,
its request shapes and its HTTP client with the reconciliation search). They import only
``flows`` (for plain data), ``models``, the ``ivr`` foundation and the card store's types.
The payment jobs, the ports, the factory and the simulator's ``<Pay>`` (which charges
through the sandbox) use them.
"""
