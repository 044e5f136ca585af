"""``GET /healthz`` for load balancers: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from ivr.db import db

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Ask the database a trivial question; any failure means this worker should get no calls."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        with db.engine(app).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("health check failed: %s", type(error).__name__)
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200
