"""``ivr phone``: a phone in the browser, driving the live call driver (:mod:`ivr.sim.live`).

:mod:`.server` is its own small Flask app; ``page/`` the page it serves.
"""
