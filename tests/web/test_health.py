"""The load balancer's health check."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from tests.app_helpers import make_app


def test_healthy_when_the_database_answers(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_unavailable_when_the_database_does_not(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path}/ok.sqlite3", tmp_path)
    app.extensions["ivr_engine"].dispose()
    from ivr.db import make_engine

    app.extensions["ivr_engine"] = make_engine(f"sqlite:///{tmp_path}/missing/dir/x.sqlite3")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_health_needs_no_twilio_signature(app: Flask) -> None:
    assert app.test_client().get("/healthz").status_code == 200
    assert app.test_client().post("/voice", data={}).status_code == 403
