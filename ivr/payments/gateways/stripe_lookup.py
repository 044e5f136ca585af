"""Finding the PaymentIntent a lost answer was about, by the idempotency key in its metadata.

Stripe's search is not read-after-write (docs.stripe.com/search, "Data freshness"): "Don't use
search for read-after-write flows ... Propagation of new or updated data could be delayed
during an outage. For read-after-write flows that require immediate data availability, use
the various list APIs". Answers are lost during outages, when the search index lags most, so
"the search does not show it" cannot mean "nothing was charged".

So :func:`find_intent` reads the List PaymentIntents API (``GET /v1/payment_intents``), newest
first, ``created[gte]`` from :data:`SKEW` before the payment was written ahead, :data:`PAGE`
at a time (the most Stripe serves), following ``starting_after`` for at most
:data:`MAX_PAGES` pages, and matches ``metadata[idempotency_key]``. Read to its end, the list
is a true answer: None means nothing was charged. Longer than that, it asks the search as a
fallback and trusts only a ``succeeded`` intent there (a terminal status: a lagging index
cannot make it wrong); anything else raises :class:`ChargeOutOfSight`, for an operator: the
window from ``since`` only grows, so trying again later would not help.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import requests

from ivr.errors import ChargeOutOfSight, GatewayError
from ivr.payments.gateways.base import GatewayCharge
from ivr.payments.gateways.stripe_http import MAYBE_CHARGED, TIMEOUT, found, from_intent, refusal

PAGE = 100  # Stripe's largest page ("Limit can range between 1 and 100")
MAX_PAGES = 10
# Before ``since``: our clock and Stripe's may differ, and the intent is created just after
# the payment is written ahead.
SKEW = timedelta(hours=1)
KEY_FIELD = "idempotency_key"  # the metadata field every PaymentIntent of ours carries


def find_intent(session: requests.Session, api_base: str, key: str,
                since: datetime | None) -> GatewayCharge | None:
    """The charge whose PaymentIntent carries ``key``: a succeeded one first; None when the
    whole list since ``since`` (or, without it, the newest :data:`MAX_PAGES` pages) has none.

    Raises GatewayError when Stripe cannot be asked, GatewayOutcomeUnknown while the intent
    is still processing, ChargeOutOfSight when the list is longer than it may read.
    """
    params = {"limit": str(PAGE)}
    if since is not None:
        params["created[gte]"] = str(int((since - SKEW).timestamp()))
    matches: list[Mapping[str, Any]] = []
    for _ in range(MAX_PAGES):
        intents, more = _page(session, api_base + "/v1/payment_intents", params)
        matches += [item for item in intents if _carries(item, key)]
        if not more or any(item.get("status") == "succeeded" for item in matches):
            return _chosen(matches)
        params["starting_after"] = str(intents[-1]["id"])
    if matches:
        return _chosen(matches)
    return _searched(session, api_base, key)


def search_params(key: str) -> dict[str, str]:
    """The search query for ``key`` in our metadata field, quoted as Stripe's query language
    wants (a backslash before ``'`` and ``\\``)."""
    value = key.replace("\\", "\\\\").replace("'", "\\'")
    return {"query": f"metadata['{KEY_FIELD}']:'{value}'", "limit": "10"}


def _page(session: requests.Session, url: str,
          params: Mapping[str, str]) -> tuple[list[Mapping[str, Any]], bool]:
    """One page of the list: its intents and ``has_more``; anything else raises GatewayError."""
    try:
        response = session.get(url, params=params, timeout=TIMEOUT)
    except requests.RequestException as error:
        raise GatewayError(f"could not list Stripe's PaymentIntents "
                           f"({type(error).__name__})") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        failure = body.get("error") if isinstance(body, dict) else None
        raise GatewayError(refusal(response, failure if isinstance(failure, dict) else {},
                                   MAYBE_CHARGED))
    data, more = body.get("data"), body.get("has_more")
    if body.get("object") != "list" or not isinstance(data, list) \
            or not isinstance(more, bool) or (more and not data):
        raise GatewayError("Stripe answered the list of PaymentIntents with something else")
    intents: list[Mapping[str, Any]] = [item for item in data if isinstance(item, dict)]
    if len(intents) != len(data) or not all(isinstance(item.get("id"), str) for item in intents):
        raise GatewayError("Stripe listed PaymentIntents without ids")
    return intents, more


def _carries(intent: Mapping[str, Any], key: str) -> bool:
    """True when the intent's metadata names ``key``."""
    meta = intent.get("metadata")
    return isinstance(meta, dict) and meta.get(KEY_FIELD) == key


def _chosen(matches: list[Mapping[str, Any]]) -> GatewayCharge | None:
    """The charge of the succeeded intent among ``matches``, else of the newest; None if none."""
    if not matches:
        return None
    succeeded = [item for item in matches if item.get("status") == "succeeded"]
    return from_intent((succeeded or matches)[0])


def _searched(session: requests.Session, api_base: str, key: str) -> GatewayCharge:
    """The fallback past the list's bound: a succeeded intent the search shows, else raise
    ChargeOutOfSight (what the search misses, or shows unfinished, may be stale)."""
    try:
        response = session.get(api_base + "/v1/payment_intents/search",
                               params=search_params(key), timeout=TIMEOUT)
        charge = found(response)
    except requests.RequestException as error:
        why = f"the search could not be read ({type(error).__name__})"
    except GatewayError as error:  # an unknown (still processing) included
        why = f"the search could not be read ({error})"
    else:
        if charge is not None and charge.approved:
            return charge
        why = "the search, which may lag, shows no charge that succeeded"
    raise ChargeOutOfSight(f"more than {MAX_PAGES * PAGE} PaymentIntents were made since the "
                           f"payment was sent and {why}; look for it in Stripe's dashboard")
