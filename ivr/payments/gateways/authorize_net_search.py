"""Talking to Authorize.Net over HTTP, and finding a transaction by its invoice number.

:class:`Client` posts one request and reads the answer, deciding what a failure means: for a
request that moves money anything after the connection was made may have charged
(GatewayOutcomeUnknown); for the rest every failure is a plain GatewayError.

Authorize.Net cannot look a transaction up by invoice number, so :func:`find_invoice` reads
the lists of the Transaction Details API, newest first, within fixed bounds: the unsettled
transactions (all, then those held for review), and if the invoice is not there, each batch
settled in the last :data:`LOOKBACK` (at most :data:`MAX_BATCHES` batches), each list read
:data:`PAGE` at a time for at most :data:`MAX_PAGES` pages. That is at most
``2 * MAX_PAGES + 1 + MAX_BATCHES * MAX_PAGES`` calls (3 in the usual case: a recent charge
is unsettled). When a list was longer than it could read and nothing matched, it raises
GatewayOutcomeUnknown rather than say nothing was charged.

Given ``since`` (when the charge may first have been sent), the batches searched are those
settled in the LOOKBACK from then (a charge settles after it is sent), so a payment found
late - reconcile stopped for a week - is still found. A payment older than that window whose
invoice is nowhere seen may have settled after it (held for review that long): it raises
:class:`~ivr.errors.ChargeOutOfSight`, an unknown outcome for an operator, never "nothing
was charged".

Reconcile takes "not found" past its grace period as final (``lookup_read_after_write``). That
assumes these lists show a transaction as soon as it is made: they are the gateway's own
transaction records, not a search index, and Authorize.Net documents no delay for them (as
Stripe does for its search). Were there one, a charge made during it would be called not
charged; an operator would then find it at the processor.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from ivr.errors import ChargeOutOfSight, GatewayError, GatewayOutcomeUnknown
from ivr.payments.gateways import authorize_net_api as api

TIMEOUT = (5, 10)  # seconds: connect, read; a charge is sent inside a Twilio webhook (15 s)
PAGE = 1000  # the largest page the API serves (Paging.limit)
MAX_PAGES = 3
LOOKBACK = timedelta(days=7)
# Before ``since``: clocks differ, and a charge is sent just after it is written ahead.
SKEW = timedelta(hours=1)
MAX_BATCHES = 16
NEWEST = {"orderBy": "submitTimeUTC", "orderDescending": True}
MAYBE_CHARGED = "it may have been charged; reconcile looks it up before charging again"
# Raised by requests before anything reaches Authorize.Net.
_UNSENT = (requests.ConnectTimeout, requests.exceptions.SSLError,
           requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
           requests.exceptions.InvalidSchema)


class Client:
    """Posts requests to one Authorize.Net endpoint with the merchant's credentials."""

    def __init__(self, url: str, login_id: str, transaction_key: str) -> None:
        self.url = url
        self._login = login_id
        self._key = transaction_key
        self._session = requests.Session()

    def __repr__(self) -> str:
        return f"Client(url={self.url!r})"  # never the credentials

    def call(self, request: str, *, money: bool, timeout: tuple[float, float] = TIMEOUT,
             **fields: Any) -> api.Json:
        """The answer to ``request`` (its fields in schema order), as a JSON object."""
        payload = api.envelope(request, self._login, self._key, **fields)
        try:
            response = self._session.post(self.url, data=json.dumps(payload), timeout=timeout,
                                          headers={"Content-Type": "application/json"})
        except requests.RequestException as error:
            # from None: a chained exception would carry the request, card and all.
            raise _network_failure(error, money) from None
        failure = GatewayOutcomeUnknown if money else GatewayError
        after = f"; {MAYBE_CHARGED}" if money else ""
        status = response.status_code
        if status >= 500:
            raise failure(f"Authorize.Net server error (HTTP {status}){after}")
        if status != 200:
            raise GatewayError(f"Authorize.Net refused the request (HTTP {status}); "
                               "check IVR_AUTHORIZE_NET_API_BASE")
        body = api.parse(response.content)
        if body is None:
            raise failure(f"Authorize.Net answered with a body that is not a JSON object{after}")
        return body

    def lookup(self, request: str, timeout: tuple[float, float] = TIMEOUT,
               **fields: Any) -> api.Json:
        """The answer to a request that moves no money; GatewayError unless it is "Ok"."""
        body = self.call(request, money=False, timeout=timeout, **fields)
        result, codes = api.result(body)
        if result != "Ok":
            raise GatewayError(f"Authorize.Net refused {request} ({','.join(codes) or '-'})")
        return body

    def details(self, trans_id: str) -> api.Json:
        """One transaction's details (getTransactionDetailsRequest)."""
        if not trans_id.isdigit():
            raise GatewayError("not an Authorize.Net transaction ID")
        transaction = self.lookup("getTransactionDetailsRequest", transId=trans_id) \
            .get("transaction")
        if not isinstance(transaction, dict):
            raise GatewayError("Authorize.Net answered without the transaction")
        return transaction


def find_invoice(client: Client, invoice: str, now: datetime,
                 since: datetime | None = None) -> list[str]:
    """The IDs of transactions with this invoice number, newest first (see the module)."""
    first = since - SKEW if since is not None else now - LOOKBACK
    last = min(now, first + LOOKBACK)
    found, cut = _unsettled(client, invoice)
    if not found:
        found, cut_settled = _settled(client, invoice, first, last)
        cut = cut or cut_settled
    if not found and cut:
        raise GatewayOutcomeUnknown(f"invoice {invoice} is not among the transactions "
                                    "Authorize.Net listed, but the lists went further back; "
                                    "look it up in the Merchant Interface")
    if not found and last < now:
        raise ChargeOutOfSight(f"invoice {invoice} is not among the batches settled in the "
                               f"{LOOKBACK.days} days after it was sent, and it may have "
                               "settled later; look it up in the Merchant Interface")
    return found


def _unsettled(client: Client, invoice: str) -> tuple[list[str], bool]:
    """Matches among unsettled transactions; whether a list was longer than was read."""
    found: list[str] = []
    cut = False
    for status in ("any", "pendingApproval"):
        matches, longer = _scan(client, invoice, "getUnsettledTransactionListRequest",
                                status=status)
        found += [trans_id for trans_id in matches if trans_id not in found]
        cut = cut or longer
    return found, cut


def _settled(client: Client, invoice: str, first: datetime,
             last: datetime) -> tuple[list[str], bool]:
    """Matches in the batches settled from ``first`` to ``last``, newest batch first."""
    body = client.lookup("getSettledBatchListRequest",
                         firstSettlementDate=_utc(first), lastSettlementDate=_utc(last))
    batches = sorted(api.items(body.get("batchList")),
                     key=lambda batch: str(batch.get("settlementTimeUTC") or ""), reverse=True)
    found: list[str] = []
    cut = len(batches) > MAX_BATCHES
    for batch in batches[:MAX_BATCHES]:
        matches, longer = _scan(client, invoice, "getTransactionListRequest",
                                batchId=api.safe(batch.get("batchId")))
        found += matches
        cut = cut or longer
    return found, cut


def _scan(client: Client, invoice: str, request: str, **fields: Any) -> tuple[list[str], bool]:
    """Transaction IDs with this invoice in one list, read newest first a page at a time;
    whether the list went on past MAX_PAGES."""
    found: list[str] = []
    for page in range(1, MAX_PAGES + 1):
        body = client.lookup(request, **fields, sorting=NEWEST,
                             paging={"limit": str(PAGE), "offset": str(page)})
        rows = api.items(body.get("transactions"))
        found += [api.safe(row.get("transId")) for row in rows
                  if row.get("invoiceNumber") == invoice]
        if found or len(rows) < PAGE or _total(body, rows) <= page * PAGE:
            return found, False
    return found, True


def _total(body: Mapping[str, Any], rows: list[api.Json]) -> int:
    """totalNumInResultSet, or the rows on this page when it is missing or malformed."""
    try:
        return int(body.get("totalNumInResultSet") or len(rows))
    except (TypeError, ValueError):
        return len(rows)


def _utc(moment: datetime) -> str:
    """A dateTime as the Transaction Details API takes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _network_failure(error: requests.RequestException, money: bool) -> GatewayError:
    """What a request that failed on the network means: only its type is named."""
    name = type(error).__name__
    if not money:
        return GatewayError(f"could not reach Authorize.Net ({name})")
    if _never_sent(error):
        return GatewayError(f"could not connect to Authorize.Net ({name}); nothing was sent")
    return GatewayOutcomeUnknown(f"Authorize.Net did not answer ({name}); {MAYBE_CHARGED}")


def _never_sent(error: requests.RequestException) -> bool:
    """Whether the request failed before a connection was made, so nothing was sent."""
    if isinstance(error, _UNSENT):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectionError) and isinstance(reason, NewConnectionError)
