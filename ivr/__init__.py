"""Everything around the call flow: the web layer, money, texts, security, operations, tools.

Sub-packages by seam, lowest layer first (``tests/test_architecture.py`` holds the order, and
a module may import only its own layer and those below): the foundation modules here
(``errors``, ``config``, ``settings_values``, ``settings_production``, ``db``, ``phones``,
``logs``), then ``security``, ``sms``, ``payments``, ``ports``, ``web``, the factory ``app``,
``ops``, ``sim`` and ``cli``. ``flows`` (the call) and ``models`` (the schema) sit below them all.
"""
