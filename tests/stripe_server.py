"""A local Stripe double: the few API calls SIE-X makes, checked as Stripe's API
reference defines them, on a loopback HTTP server.

Every request needs ``Authorization: Bearer sk_test_…`` and a ``Stripe-Version``;
POST bodies are ``application/x-www-form-urlencoded`` with Stripe's bracket encoding
(``line_items[0][price]``). Unknown parameters, missing required ones, unknown
customers and prices are refused with Stripe's error shape
``{"error": {"type": "invalid_request_error", "message": …, "param": …}}``.
``Idempotency-Key`` replays the first answer (different parameters: ``idempotency_error``).
Meter events are de-duplicated by ``identifier`` the way Stripe does it: a known
identifier is refused with "An event already exists with identifier …".

Stricter than Stripe in one way: meter events naming an unknown customer or meter are
refused at once, where Stripe accepts them and reports them later in an error report.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")
METER_EVENT_PAST_S = 35 * 24 * 3600  # "within the past 35 calendar days"
METER_EVENT_FUTURE_S = 5 * 60  # "or up to 5 minutes in the future"
CHECKOUT_PARAMS = (
    "mode",
    "customer",
    "customer_email",
    "client_reference_id",
    "line_items",
    "success_url",
    "cancel_url",
    "metadata",
    "subscription_data",
    "allow_promotion_codes",
    "locale",
    "expand",
)


@dataclass
class StripeRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: str
    params: dict[str, Any] = field(default_factory=dict)  # decoded, nested
    status: int | None = None  # what the double answered; None when the answer was lost


class StripeError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        param: str | None = None,
        code: str | None = None,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type, "message": message}}
        if param:
            self.body["error"]["param"] = param
        if code:
            self.body["error"]["code"] = code


def _missing(name: str) -> StripeError:
    return StripeError(400, f"Missing required param: {name}.", name, "parameter_missing")


def _new_id(prefix: str, length: int = 24) -> str:
    return prefix + secrets.token_urlsafe(length)[:length].replace("-", "a").replace("_", "b")


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding to nested values: ``a[b][0][c]=v`` → {"a": {"b": [{"c": v}]}}."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]+\])*)", key)
        if match is None:
            raise StripeError(400, f"Invalid parameter name: {key}", key)
        parts = [match.group(1), *re.findall(r"\[([^\[\]]+)\]", match.group(2))]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise StripeError(400, f"Invalid hash: {key}", key)
        if parts[-1] in node:
            raise StripeError(400, f"Duplicate parameter: {key}", key)
        node[parts[-1]] = value
    return _arrays(root, "")


def _arrays(node: Any, name: str) -> Any:
    """Hashes keyed 0..n-1 are arrays, as the SDK encodes lists."""
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        if sorted(int(k) for k in node) != list(range(len(node))):
            raise StripeError(400, f"Invalid array: {name}", name)
        return [_arrays(node[str(i)], f"{name}[{i}]") for i in range(len(node))]
    return {k: _arrays(v, f"{name}[{k}]" if name else k) for k, v in node.items()}


def _only(params: dict[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    for name in params:
        if name not in allowed:
            full = f"{prefix}[{name}]" if prefix else name
            raise StripeError(400, f"Received unknown parameter: {full}", full)


def _metadata(params: dict[str, Any], name: str) -> dict[str, str]:
    metadata = params.get(name, {})
    if not isinstance(metadata, dict):
        raise StripeError(400, f"Invalid object: {name}", name)
    for key, value in metadata.items():
        if len(key) > 40 or len(value) > 500:
            raise StripeError(400, f"Metadata too long: {name}[{key}]", f"{name}[{key}]")
    return metadata


def _url(params: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 5000:
        raise StripeError(400, f"Not a valid URL: {name}", name, "url_invalid")
    return value


def _string(params: dict[str, Any], name: str, max_length: int, required: bool = False):
    value = params.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise StripeError(400, f"Invalid string: {name} (at most {max_length} characters)", name)
    return value


class StripeDouble:
    """``StripeDouble(prices={"price_creator"})``; ``.base`` is the API base URL.

    ``down = True`` answers every request with 500; ``fail`` (a predicate on the
    request) answers those it selects with 500; ``lose`` processes the requests it
    selects and then drops the connection, as when an answer is lost on the way.
    """

    def __init__(
        self,
        prices: Iterable[str] = (),
        meter_event_names: Iterable[str] = ("siex_extractions",),
        metered_prices: Iterable[str] = (),
    ) -> None:
        self.metered_prices = set(metered_prices)
        self.prices = set(prices) | self.metered_prices
        self.meter_event_names = set(meter_event_names)
        self.customers: dict[str, dict] = {}
        self.checkout_sessions: dict[str, dict] = {}
        self.portal_sessions: dict[str, dict] = {}
        self.meter_events: dict[str, dict] = {}  # by identifier
        self.webhook_url: str | None = None  # where completed checkouts send their events
        self.webhook_secret: str | None = None
        self._checkout_prices: dict[str, list[str]] = {}
        self.requests: list[StripeRequest] = []
        self.down = False
        self.fail: Callable[[StripeRequest], bool] | None = None
        self.lose: Callable[[StripeRequest], bool] | None = None
        self._idempotent: dict[str, tuple[str, str, str, int, dict]] = {}
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str], Callable[[dict[str, Any]], dict]] = {
            ("POST", "/v1/customers"): self._create_customer,
            ("POST", "/v1/checkout/sessions"): self._create_checkout_session,
            ("POST", "/v1/billing_portal/sessions"): self._create_portal_session,
            ("POST", "/v1/billing/meter_events"): self._create_meter_event,
        }
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.double = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def complete_checkout(self, checkout_id: str) -> list[int]:
        """What a paying customer and Stripe do: the session completes, a subscription
        starts, its first invoice is paid, and Stripe POSTs the signed events
        ``checkout.session.completed``, ``customer.subscription.created`` and
        ``invoice.paid`` to ``webhook_url``. Returns the webhook's answers."""
        import hashlib
        import hmac
        import urllib.request

        with self._lock:
            checkout = self.checkout_sessions[checkout_id]
            now = int(time.time())
            subscription = {
                "id": _new_id("sub_"),
                "object": "subscription",
                "customer": checkout["customer"],
                "status": "active",
                "created": now,
                "metadata": {"tenant_id": checkout["client_reference_id"]},
                "items": {
                    "object": "list",
                    "data": [
                        {"id": _new_id("si_"), "object": "subscription_item",
                         "price": {"id": price, "object": "price"}, "quantity": 1}
                        for price in self._checkout_prices.get(checkout_id, [])
                    ],
                },
                "current_period_start": now,
                "current_period_end": now + 30 * 24 * 3600,
            }  # fmt: skip
            checkout.update(
                status="complete", payment_status="paid", subscription=subscription["id"]
            )
            invoice = {
                "id": _new_id("in_"),
                "object": "invoice",
                "customer": checkout["customer"],
                "status": "paid",
                "currency": "eur",
                "amount_due": 2900,
                "amount_paid": 2900,
                "hosted_invoice_url": f"https://invoice.stripe.com/i/{_new_id('acct_')}",
                "period_start": now,
                "period_end": now + 30 * 24 * 3600,
                "created": now,
                "parent": {"subscription_details": {"subscription": subscription["id"]}},
            }
        answers = []
        for offset, (kind, obj) in enumerate(
            (("checkout.session.completed", checkout), ("customer.subscription.created", subscription),
             ("invoice.paid", invoice))
        ):  # fmt: skip
            event = {
                "id": _new_id("evt_"),
                "object": "event",
                "type": kind,
                "created": now + offset,
                "livemode": False,
                "api_version": "2025-03-31.basil",
                "data": {"object": obj},
            }
            payload = json.dumps(event).encode()
            at = int(time.time())
            signature = hmac.new(
                (self.webhook_secret or "").encode(), f"{at}.".encode() + payload, hashlib.sha256
            ).hexdigest()
            request = urllib.request.Request(
                self.webhook_url or "",
                data=payload,
                headers={
                    "Content-Type": "application/json",
                    "Stripe-Signature": f"t={at},v1={signature}",
                },
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                answers.append(response.status)
        return answers

    def requests_to(self, path: str) -> list[StripeRequest]:
        return [r for r in self.requests if r.path == path]

    # -- the HTTP exchange -----------------------------------------------------------

    def answer(self, request: StripeRequest) -> tuple[int, dict, dict[str, str]] | None:
        """(status, body, extra headers), or None to drop the connection."""
        with self._lock:
            self.requests.append(request)
            try:  # decoded first, so ``fail`` and ``lose`` can look at the parameters
                request.params = decode_form(parse_qsl(request.body, keep_blank_values=True))
                malformed = None
            except StripeError as exc:
                malformed = exc
            if self.down or (self.fail and self.fail(request)):
                return 500, {"error": {"type": "api_error", "message": "Stripe is down"}}, {}
            try:
                status, body, headers = self._checked(request, malformed)
            except StripeError as exc:
                status, body, headers = exc.status, exc.body, {}
            if self.lose and self.lose(request):
                return None
            return status, body, headers

    def _checked(
        self, request: StripeRequest, malformed: StripeError | None
    ) -> tuple[int, dict, dict[str, str]]:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or not key.startswith("sk_test_"):
            raise StripeError(401, "Invalid API Key provided (expected Bearer sk_test_…).")
        if not API_VERSION.match(request.headers.get("stripe-version", "")):
            raise StripeError(400, "Invalid or missing Stripe-Version header.")
        route = self._routes.get((request.method, request.path))
        if route is None:
            raise StripeError(
                404, f"Unrecognized request URL ({request.method}: {request.path}).", None
            )
        content_type = request.headers.get("content-type")
        if request.method == "POST" and content_type != "application/x-www-form-urlencoded":
            raise StripeError(400, "POST bodies are application/x-www-form-urlencoded.")
        if malformed is not None:
            raise malformed
        idempotency_key = request.headers.get("idempotency-key")
        if idempotency_key:
            if len(idempotency_key) > 255:
                raise StripeError(400, "Idempotency-Key is at most 255 characters.")
            known = self._idempotent.get(idempotency_key)
            if known is not None:
                method, path, body, status, answer = known
                if (method, path, body) != (request.method, request.path, request.body):
                    raise StripeError(
                        400,
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                        type="idempotency_error",
                    )
                return status, answer, {"Idempotent-Replayed": "true"}
        answer = route(request.params)
        if idempotency_key:  # a result is saved once the endpoint ran
            self._idempotent[idempotency_key] = (
                request.method,
                request.path,
                request.body,
                200,
                answer,
            )
        return 200, answer, {}

    # -- endpoints -------------------------------------------------------------------

    def _create_customer(self, params: dict[str, Any]) -> dict:
        _only(params, ("name", "email", "description", "metadata", "phone", "expand"))
        email = _string(params, "email", 512)
        if email is not None and "@" not in email:
            raise StripeError(400, "Invalid email address: " + email, "email", "email_invalid")
        customer = {
            "id": _new_id("cus_", 14),
            "object": "customer",
            "created": int(time.time()),
            "description": _string(params, "description", 350),
            "email": email,
            "name": _string(params, "name", 256),
            "phone": _string(params, "phone", 20),
            "metadata": _metadata(params, "metadata"),
            "balance": 0,
            "currency": None,
            "delinquent": False,
            "livemode": False,
        }
        self.customers[customer["id"]] = customer
        return customer

    def _customer(self, params: dict[str, Any], name: str = "customer") -> str | None:
        customer = params.get(name)
        if customer is not None and customer not in self.customers:
            raise StripeError(400, f"No such customer: '{customer}'", name, "resource_missing")
        return customer

    def _create_checkout_session(self, params: dict[str, Any]) -> dict:
        _only(params, CHECKOUT_PARAMS)
        mode = params.get("mode")
        if mode is None:
            raise _missing("mode")
        if mode not in ("payment", "setup", "subscription"):
            raise StripeError(
                400, "Invalid mode: must be one of payment, setup or subscription", "mode"
            )
        if "customer" in params and "customer_email" in params:
            raise StripeError(
                400, "You may only specify one of these parameters: customer, customer_email."
            )
        customer = self._customer(params)
        line_items = params.get("line_items")
        if mode == "subscription" and not line_items:
            raise _missing("line_items")
        for i, item in enumerate(line_items or []):
            name = f"line_items[{i}]"
            if not isinstance(item, dict):
                raise StripeError(400, f"Invalid object: {name}", name)
            _only(item, ("price", "quantity", "adjustable_quantity", "tax_rates"), name)
            if "price" not in item:
                raise _missing(f"{name}[price]")
            if item["price"] not in self.prices:
                raise StripeError(
                    400, f"No such price: '{item['price']}'", f"{name}[price]", "resource_missing"
                )
            if item["price"] in self.metered_prices:
                if "quantity" in item:  # usage decides the quantity of a metered price
                    raise StripeError(
                        400,
                        "Quantity should not be specified where usage_type is `metered`.",
                        f"{name}[quantity]",
                    )
                continue
            if "quantity" not in item:
                raise _missing(f"{name}[quantity]")
            if not item["quantity"].isdigit() or int(item["quantity"]) < 1:
                raise StripeError(
                    400, f"Invalid positive integer: {name}[quantity]", f"{name}[quantity]"
                )
        subscription_data = params.get("subscription_data")
        if subscription_data is not None:
            if mode != "subscription":
                raise StripeError(
                    400,
                    "subscription_data can only be used in subscription mode.",
                    "subscription_data",
                )
            _only(
                subscription_data,
                ("metadata", "description", "trial_period_days"),
                "subscription_data",
            )
            _metadata(subscription_data, "metadata")
        checkout_id = _new_id("cs_test_", 58)
        checkout = {
            "id": checkout_id,
            "object": "checkout.session",
            "mode": mode,
            "customer": customer,
            "customer_email": params.get("customer_email"),
            "client_reference_id": _string(params, "client_reference_id", 200),
            "success_url": _url(params, "success_url", required=True),
            "cancel_url": _url(params, "cancel_url"),
            "metadata": _metadata(params, "metadata"),
            "status": "open",
            "payment_status": "unpaid",
            "subscription": None,
            "created": int(time.time()),
            "expires_at": int(time.time()) + 24 * 3600,
            "livemode": False,
            "url": f"https://checkout.stripe.com/c/pay/{checkout_id}",
        }
        self.checkout_sessions[checkout_id] = checkout
        self._checkout_prices[checkout_id] = [item["price"] for item in line_items or []]
        return checkout

    def _create_portal_session(self, params: dict[str, Any]) -> dict:
        _only(params, ("customer", "return_url", "configuration", "locale", "expand"))
        if "customer" not in params:
            raise _missing("customer")
        portal_id = _new_id("bps_", 24)
        portal = {
            "id": portal_id,
            "object": "billing_portal.session",
            "configuration": "bpc_default",
            "created": int(time.time()),
            "customer": self._customer(params),
            "flow": None,
            "livemode": False,
            "locale": params.get("locale"),
            "on_behalf_of": None,
            "return_url": _url(params, "return_url"),
            "url": f"https://billing.stripe.com/p/session/test_{portal_id[4:]}",
        }
        self.portal_sessions[portal_id] = portal
        return portal

    def _create_meter_event(self, params: dict[str, Any]) -> dict:
        _only(params, ("event_name", "payload", "identifier", "timestamp", "expand"))
        event_name = _string(params, "event_name", 100, required=True)
        if event_name not in self.meter_event_names:
            raise StripeError(
                400, f"No active meter was found for event name {event_name}", "event_name"
            )
        payload = params.get("payload")
        if not isinstance(payload, dict):
            raise _missing("payload")
        for key in ("stripe_customer_id", "value"):
            if key not in payload:
                raise _missing(f"payload[{key}]")
        self._customer(payload, "stripe_customer_id")
        if not re.fullmatch(r"-?\d+(\.\d+)?", payload["value"]):
            raise StripeError(400, "payload[value] must be a number", "payload[value]")
        now = int(time.time())
        timestamp = params.get("timestamp", str(now))
        if not re.fullmatch(r"\d+", timestamp):
            raise StripeError(400, "Invalid integer: timestamp", "timestamp")
        if not now - METER_EVENT_PAST_S <= int(timestamp) <= now + METER_EVENT_FUTURE_S:
            raise StripeError(
                400,
                "timestamp must be within the past 35 calendar days or up to 5 minutes in the future",
                "timestamp",
            )
        identifier = _string(params, "identifier", 100) or _new_id("mev_", 24)
        if identifier in self.meter_events:
            raise StripeError(
                400, f"An event already exists with identifier {identifier}.", "identifier"
            )
        event = {
            "object": "billing.meter_event",
            "created": now,
            "event_name": event_name,
            "identifier": identifier,
            "livemode": False,
            "payload": payload,
            "timestamp": int(timestamp),
        }
        self.meter_events[identifier] = event
        return event


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _exchange(self) -> None:
        double: StripeDouble = self.server.double  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        path = urlsplit(self.path)
        completing = re.fullmatch(r"/test_helpers/checkout/sessions/([^/]+)/complete", path.path)
        if completing and self.command == "POST":  # the double's "pay" button
            try:
                body, status = {"webhook_answers": double.complete_checkout(completing[1])}, 200
            except KeyError:
                body, status = (
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "message": "No such checkout session",
                        }
                    },
                    404,
                )
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        request = StripeRequest(
            method=self.command,
            path=path.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length).decode() if length else path.query,
        )
        answered = double.answer(request)
        if answered is None:
            self.close_connection = True  # the answer is lost: the client sees a reset
            return
        status, body, headers = answered
        request.status = status
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", _new_id("req_", 14))
        if "idempotency-key" in request.headers:
            self.send_header("Idempotency-Key", request.headers["idempotency-key"])
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _exchange

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    """Run the double by hand, e.g. for docs/api-walkthrough.sh:
    python -m tests.stripe_server --price creator=price_creator \
        --webhook-url http://127.0.0.1:8000/v1/billing/webhook --webhook-secret whsec_test"""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--price", action="append", default=[], help="plan=price_id")
    parser.add_argument("--webhook-url", required=True)
    parser.add_argument("--webhook-secret", required=True)
    args = parser.parse_args()
    double = StripeDouble(prices=[p.split("=", 1)[1] for p in args.price])
    double.webhook_url, double.webhook_secret = args.webhook_url, args.webhook_secret
    print(double.base, flush=True)
    try:
        double.thread.join()
    except KeyboardInterrupt:
        double.close()


if __name__ == "__main__":
    main()
