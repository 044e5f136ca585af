"""Scratch copies of the demo database: each starts from the same data, built once."""

from __future__ import annotations

import uuid

from flask import Flask
from sqlalchemy import func, select, update

from ivr.config import settings_of
from ivr.db import db
from ivr.sim import scratch
from ivr.sim.scratch import scratch_demo_app, scratch_settings
from models import Account, Payment


def balances(app: Flask) -> dict[str, int]:
    with db.transaction(app) as session:
        return dict(session.execute(select(Account.account_number, Account.balance_cents)).all())


def payments(app: Flask) -> int:
    with db.transaction(app) as session:
        return session.scalar(select(func.count()).select_from(Payment)) or 0


def test_each_copy_starts_from_the_demo_data_whatever_the_one_before_did(
        demo_app: Flask) -> None:
    with scratch_demo_app(demo_app) as first:
        demo = balances(first), payments(first)
        with db.transaction(first) as session:
            session.execute(update(Account).values(balance_cents=1))
    with scratch_demo_app(demo_app) as second:
        assert (balances(second), payments(second)) == demo
    assert demo == (balances(demo_app), payments(demo_app)), "the same data as the line's"


def test_the_template_is_built_once_per_settings(demo_app: Flask) -> None:
    """A copy costs a file copy; only settings never seen before migrate a new template."""
    templates = scratch._TEMPLATES
    settings = scratch_settings(demo_app)
    with scratch_demo_app(settings):
        built = len(templates._paths)
    for _ in range(3):
        with scratch_demo_app(settings):
            pass
    assert len(templates._paths) == built
    unseen = f"Biller {uuid.uuid4().hex}"  # settings no earlier test built a template for
    with scratch_demo_app(settings, {"IVR_BILLER_NAME": unseen}) as other:
        assert settings_of(other).biller_name == unseen
    assert len(templates._paths) == built + 1


def test_a_copy_has_a_database_of_its_own(demo_app: Flask) -> None:
    with scratch_demo_app(demo_app) as first, scratch_demo_app(demo_app) as second:
        urls = {str(db.engine(app).url) for app in (demo_app, first, second)}
    assert len(urls) == 3
