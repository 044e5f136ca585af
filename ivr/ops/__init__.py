"""Operating the line: account imports, exports, demo data, migrations, the server, housekeeping.

Plain functions the commands in ``ivr.cli`` wrap. It may import every sub-package except
``cli`` and ``sim``.
"""
