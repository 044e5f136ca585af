"""How the call simulator reaches the app: in process (Flask test client) or over HTTP.

Every request is a form POST (or GET) signed with ``X-Twilio-Signature`` exactly as
Twilio signs it, so the app's signature check runs unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator

from ivr.config import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN, has_settings, settings_of
from ivr.db import db
from ivr.errors import ConfigError, ServerUnreachable
from models import SmsMessage

# The host the Flask test client reports in request.url when given a bare path.
IN_PROCESS_BASE = "http://localhost"


@dataclass(frozen=True)
class WebResponse:
    """The parts of an HTTP response the simulator looks at."""

    status: int
    body: str
    content_type: str


def sign(token: str, url: str, params: Mapping[str, str]) -> str:
    """The ``X-Twilio-Signature`` Twilio would send for a request to ``url`` with ``params``."""
    return RequestValidator(token).compute_signature(url, dict(params))


def token_from_env(env: Mapping[str, str] | None = None) -> str:
    """The auth token a server started from this environment uses (see ivr.config)."""
    env = os.environ if env is None else env
    token = env.get("TWILIO_AUTH_TOKEN", "")
    if token:
        return token
    if env.get("IVR_ENV", "development") == "production":
        raise ConfigError("TWILIO_AUTH_TOKEN must be set to sign requests to a production server")
    return DEV_AUTH_TOKEN


def request_target(method: str, url: str, params: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The URL to request and the form to send; GET moves the parameters to the query."""
    url = urlunsplit(urlsplit(url)._replace(fragment=""))
    if method != "GET" or not params:
        return url, dict(params)
    separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}{urlencode(params)}", {}


class Transport(Protocol):
    """Delivers signed webhook requests to the app under test."""

    base_url: str
    account_sid: str
    supports_sms: bool

    def request(self, method: str, url: str, params: Mapping[str, str]) -> WebResponse:
        """Send a signed request and return the response."""
        ...

    def sms_marker(self) -> int:
        """An opaque position in the SMS outbox; texts queued later are 'new'."""
        ...

    def sms_since(self, marker: int, to_number: str) -> list[str]:
        """Bodies of texts to ``to_number`` queued after ``marker``."""
        ...


def _credentials(app: Flask) -> tuple[str, str]:
    """The auth token and account SID ``app`` checks signatures with.

    Ours keeps them in its settings; any other Flask app the simulator drives (a test's
    stand-in for a webhook server) in ``app.config``, the Flask way.
    """
    if has_settings(app):
        settings = settings_of(app)
        return settings.twilio_auth_token, settings.twilio_account_sid
    return app.config["TWILIO_AUTH_TOKEN"], app.config.get("TWILIO_ACCOUNT_SID") or DEV_ACCOUNT_SID


class InProcessTransport:
    """Calls the Flask app directly through its test client."""

    supports_sms = True

    def __init__(self, app: Flask) -> None:
        """Use ``app``'s own auth token and account SID, so signatures validate."""
        self.app = app
        self.base_url = IN_PROCESS_BASE
        self.token, self.account_sid = _credentials(app)
        self.client = app.test_client()

    def request(self, method: str, url: str, params: Mapping[str, str]) -> WebResponse:
        """Send through the test client; the signed URL equals flask.request.url there."""
        url, form = request_target(method, url, params)
        headers = {"X-Twilio-Signature": sign(self.token, url, form)}
        response = self.client.open(url, method=method, data=form, headers=headers)
        return WebResponse(response.status_code, response.get_data(as_text=True),
                           response.content_type or "")

    def sms_marker(self) -> int:
        """The highest SMS outbox id so far (0 when the app has no database or table)."""
        if "ivr_db" not in self.app.extensions:
            return 0
        try:
            with db.transaction(self.app) as session:
                return session.scalar(select(func.max(SmsMessage.id))) or 0
        except SQLAlchemyError:
            return 0

    def sms_since(self, marker: int, to_number: str) -> list[str]:
        """Bodies of outbox rows to ``to_number`` with an id above ``marker``, oldest first."""
        if "ivr_db" not in self.app.extensions:
            return []
        query = (select(SmsMessage.body)
                 .where(SmsMessage.id > marker, SmsMessage.to_number == to_number)
                 .order_by(SmsMessage.id))
        try:
            with db.transaction(self.app) as session:
                return list(session.scalars(query))
        except SQLAlchemyError:
            return []


# How long to wait for a server to accept a connection before saying none answers.
CONNECT_TIMEOUT = 5.0


def http_base_url(url: str) -> str:
    """``url`` as a base URL: ``http://`` added when it names no scheme, no trailing slash."""
    text = url.strip()
    if "://" not in text:
        text = f"http://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"not an http(s) base URL such as http://127.0.0.1:5000: {url!r}")
    return text.rstrip("/")


class HttpTransport:
    """Calls a running server over HTTP, signing with the token from the environment."""

    supports_sms = False

    def __init__(self, base_url: str, token: str | None = None, account_sid: str | None = None,
                 timeout: float = 15.0) -> None:
        """``timeout`` matches Twilio's 15 s limit for a webhook response.

        ``base_url`` may leave out ``http://`` (``localhost:5000``).
        """
        self.base_url = http_base_url(base_url)
        self.token = token if token is not None else token_from_env()
        self.account_sid = account_sid or os.environ.get("TWILIO_ACCOUNT_SID") or DEV_ACCOUNT_SID
        self.timeout = timeout
        self.session = requests.Session()

    def request(self, method: str, url: str, params: Mapping[str, str]) -> WebResponse:
        """Send over HTTP without following redirects; network errors become status 0."""
        url, form = request_target(method, url, params)
        headers = {"X-Twilio-Signature": sign(self.token, url, form)}
        try:
            response = self.session.request(method, url, data=form or None, headers=headers,
                                            timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            return WebResponse(0, f"{type(exc).__name__}: {exc}", "")
        return WebResponse(response.status_code, response.text,
                           response.headers.get("Content-Type", ""))

    def ensure_answering(self) -> None:
        """Raise :class:`ServerUnreachable` unless something answers HTTP at the base URL.

        Any answer will do (even a 404): only a refused or unanswered connection means no
        server is there.
        """
        try:
            self.session.get(f"{self.base_url}/healthz", allow_redirects=False,
                             timeout=(CONNECT_TIMEOUT, self.timeout))
        except (requests.ConnectionError, requests.Timeout):
            raise ServerUnreachable(f"no server answers at {self.base_url}") from None

    def sms_marker(self) -> int:
        """A remote server's outbox is out of reach."""
        return 0

    def sms_since(self, marker: int, to_number: str) -> list[str]:
        """A remote server's outbox is out of reach."""
        return []


def transport_for(target: Flask | str | Transport) -> Transport:
    """A transport for a Flask app, a base URL (``http://host:port``) or a ready transport."""
    if isinstance(target, Flask):
        return InProcessTransport(target)
    if isinstance(target, str):
        return HttpTransport(target)
    return target
