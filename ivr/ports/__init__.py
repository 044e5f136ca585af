"""The flow's ports over the database: what :class:`flows.ports.Ports` means in production.

Each module answers one group of a call's questions (accounts and PINs, payments, plans,
<Pay>'s tokens) inside one webhook's transaction. It may import ``flows``, ``models``,
``payments``, ``sms`` and ``security``; only ``web``, ``ops``, ``cli`` and the factory import it.
"""
