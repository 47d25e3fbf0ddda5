"""A local fake of the part of Stripe's HTTP API that Imagior calls, for tests.

A threaded http.server on 127.0.0.1 answering form-encoded requests (as the
`stripe` library sends them) with JSON shaped like Stripe's objects (API
version 2026-10: invoice lines carry `pricing.price_details.price` and
`parent.subscription_item_details`, subscription items carry the period).
It keeps customers, prices, Checkout Sessions, subscriptions and invoices in
memory. What Stripe would do on its own (a buyer paying on the Checkout page,
a monthly renewal, a failed card) is done by methods called from the test,
which return the events Stripe would send; the test signs and posts them.
"""

import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

MONTH = 30 * 24 * 3600


def parse_form(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's bracket notation (`items[0][price]=x`, `expand[0]=y`) back into dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part, following in zip(parts, [*parts[1:], None], strict=True):
            if following is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        if node and all(key.isdigit() for key in node):
            return [_lists(node[key]) for key in sorted(node, key=int)]
        return {key: _lists(value) for key, value in node.items()}
    return node


class FakeStripe:
    def __init__(self):
        self.lock = threading.RLock()
        self.ids = itertools.count(1)
        self.customers: dict[str, dict] = {}
        self.prices: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, params)
        self.events: list[dict] = []  # sent by API calls; tests take them with take_events()
        self.decline_next_payment = False
        self.clock = int(time.time())
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # --- helpers ---------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self.ids):06d}"

    def event(self, type_: str, obj: dict, previous: dict | None = None) -> dict:
        self.clock += 1
        event = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": self.clock,
            "livemode": False,
            "type": type_,
            "data": {"object": json.loads(json.dumps(obj)), **({"previous_attributes": previous} if previous else {})},
        }
        return event

    def take_events(self) -> list[dict]:
        events, self.events = self.events, []
        return events

    def price_amount(self, price_id: str) -> int:
        return self.prices[price_id]["unit_amount"]

    # --- what Stripe does on its own ------------------------------------------------

    def pay_checkout(self, session_id: str) -> list[dict]:
        """The buyer pays on the Checkout page: the events Stripe sends, in order."""
        with self.lock:
            session = self.sessions[session_id]
            session.update(status="complete", payment_status="paid")
            events = []
            if session["mode"] == "subscription":
                item = session["line_items"][0]
                start = self.clock
                sub = {
                    "id": self.new_id("sub"),
                    "object": "subscription",
                    "customer": session["customer"],
                    "status": "active",
                    "cancel_at_period_end": False,
                    "metadata": session.get("subscription_data", {}).get("metadata", {}),
                    "items": {"object": "list", "data": []},
                    "latest_invoice": None,
                }
                sub["items"]["data"].append(
                    {
                        "id": self.new_id("si"),
                        "object": "subscription_item",
                        "price": self.prices[item["price"]],
                        "quantity": 1,
                        "current_period_start": start,
                        "current_period_end": start + MONTH,
                        "subscription": sub["id"],
                    }
                )
                self.subscriptions[sub["id"]] = sub
                session["subscription"] = sub["id"]
                invoice = self._cycle_invoice(sub, "subscription_create", paid=True)
                events.append(self.event("customer.subscription.created", sub))
                events.append(self.event("checkout.session.completed", session))
                events.append(self.event("invoice.paid", invoice))
            else:
                events.append(self.event("checkout.session.completed", session))
                if session.get("invoice_creation", {}).get("enabled") == "true":
                    invoice = self._invoice(session["customer"], "manual", [], session["amount_total"], paid=True)
                    invoice["metadata"] = session["invoice_creation"].get("invoice_data", {}).get("metadata", {})
                    session["invoice"] = invoice["id"]
                    events.append(self.event("invoice.paid", invoice))
            return events

    def renew(self, sub_id: str, *, paid: bool = True) -> list[dict]:
        """The subscription's period ends: Stripe bills the next one (the card is charged or declined)."""
        with self.lock:
            sub = self.subscriptions[sub_id]
            if sub["cancel_at_period_end"]:
                sub["status"] = "canceled"
                return [self.event("customer.subscription.deleted", sub)]
            item = sub["items"]["data"][0]
            item["current_period_start"] = item["current_period_end"]
            item["current_period_end"] += MONTH
            self.clock = max(self.clock, item["current_period_start"])
            invoice = self._cycle_invoice(sub, "subscription_cycle", paid=paid)
            if paid:
                sub["status"] = "active"
                return [self.event("invoice.paid", invoice), self.event("customer.subscription.updated", sub)]
            sub["status"] = "past_due"
            return [self.event("invoice.payment_failed", invoice), self.event("customer.subscription.updated", sub)]

    def cancel_now(self, sub_id: str) -> list[dict]:
        with self.lock:
            sub = self.subscriptions[sub_id]
            sub["status"] = "canceled"
            return [self.event("customer.subscription.deleted", sub)]

    def _line(self, sub: dict, price_id: str, amount: int, start: int, end: int, *, proration: bool) -> dict:
        return {
            "id": self.new_id("il"),
            "object": "line_item",
            "amount": amount,
            "currency": "usd",
            "period": {"start": start, "end": end},
            "pricing": {"type": "price_details", "price_details": {"price": price_id, "product": "prod_fake"}},
            "parent": {
                "type": "subscription_item_details",
                "subscription_item_details": {
                    "subscription": sub["id"],
                    "subscription_item": sub["items"]["data"][0]["id"],
                    "proration": proration,
                },
            },
        }

    def _cycle_invoice(self, sub: dict, reason: str, *, paid: bool) -> dict:
        item = sub["items"]["data"][0]
        price = item["price"]["id"]
        line = self._line(
            sub,
            price,
            self.price_amount(price),
            item["current_period_start"],
            item["current_period_end"],
            proration=False,
        )
        invoice = self._invoice(sub["customer"], reason, [line], line["amount"], paid=paid, sub=sub)
        sub["latest_invoice"] = invoice["id"]
        return invoice

    def _invoice(
        self, customer: str, reason: str, lines: list, amount: int, *, paid: bool, sub: dict | None = None
    ) -> dict:
        invoice_id = self.new_id("in")
        invoice = {
            "id": invoice_id,
            "object": "invoice",
            "customer": customer,
            "billing_reason": reason,
            "status": "paid" if paid else "open",
            "amount_due": amount,
            "amount_paid": amount if paid else 0,
            "currency": "usd",
            "hosted_invoice_url": f"https://invoice.stripe.com/i/{invoice_id}",
            "lines": {"object": "list", "data": lines},
            "metadata": {},
            "parent": (
                {"type": "subscription_details", "subscription_details": {"subscription": sub["id"], "metadata": {}}}
                if sub
                else None
            ),
        }
        self.invoices[invoice_id] = invoice
        return invoice

    def _proration(self, sub: dict, new_price: str, proration_date: int) -> tuple[int, list]:
        item = sub["items"]["data"][0]
        start, end = item["current_period_start"], item["current_period_end"]
        share = max(end - proration_date, 0) / (end - start)
        old_amount, new_amount = self.price_amount(item["price"]["id"]), self.price_amount(new_price)
        unused = -round(old_amount * share)
        remaining = round(new_amount * share)
        lines = [
            self._line(sub, item["price"]["id"], unused, proration_date, end, proration=True),
            self._line(sub, new_price, remaining, proration_date, end, proration=True),
        ]
        return unused + remaining, lines

    # --- the HTTP API -----------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        with self.lock:
            self.requests.append((method, path, params))
            for pattern, handler in self.routes:
                match = re.fullmatch(pattern, f"{method} {path}")
                if match:
                    return handler(self, params, *match.groups())
            return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({path})."}}

    def create_customer(self, params):
        customer = {"id": self.new_id("cus"), "object": "customer", "email": params.get("email"), **params}
        self.customers[customer["id"]] = customer
        return 200, customer

    def list_prices(self, params):
        keys = params.get("lookup_keys", [])
        found = [price for price in self.prices.values() if price.get("lookup_key") in keys and price["active"]]
        return 200, {"object": "list", "data": found, "has_more": False, "url": "/v1/prices"}

    def create_price(self, params):
        if params.get("transfer_lookup_key") == "true":
            for price in self.prices.values():
                if price.get("lookup_key") == params.get("lookup_key"):
                    price["lookup_key"] = None
        price = {
            "id": self.new_id("price"),
            "object": "price",
            "active": True,
            "currency": params["currency"],
            "unit_amount": int(params["unit_amount"]),
            "recurring": {"interval": params["recurring"]["interval"]},
            "lookup_key": params.get("lookup_key"),
            "metadata": params.get("metadata", {}),
            "product": self.new_id("prod"),
        }
        self.prices[price["id"]] = price
        return 200, price

    def get_price(self, params, price_id):
        if price_id not in self.prices:
            return 404, {"error": {"type": "invalid_request_error", "message": "No such price"}}
        return 200, self.prices[price_id]

    def create_session(self, params):
        session_id = self.new_id("cs")
        lines = params.get("line_items", [])
        amount = sum(
            int(line["price_data"]["unit_amount"]) if "price_data" in line else self.price_amount(line["price"])
            for line in lines
        )
        session = {
            **params,
            "id": session_id,
            "object": "checkout.session",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": amount,
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "subscription": None,
            "invoice": None,
        }
        self.sessions[session_id] = session
        return 200, session

    def create_portal_session(self, params):
        session_id = self.new_id("bps")
        return 200, {
            "id": session_id,
            "object": "billing_portal.session",
            "customer": params["customer"],
            "return_url": params.get("return_url"),
            "url": f"https://billing.stripe.com/p/session/{session_id}",
        }

    def get_subscription(self, params, sub_id):
        if sub_id not in self.subscriptions:
            return 404, {"error": {"type": "invalid_request_error", "message": "No such subscription"}}
        return 200, self.subscriptions[sub_id]

    def update_subscription(self, params, sub_id):
        sub = self.subscriptions[sub_id]
        if sub["status"] == "canceled":
            return 400, {"error": {"type": "invalid_request_error", "message": "The subscription is canceled."}}
        answer = dict(sub)
        if "items" in params:
            new_price = params["items"][0]["price"]
            item = sub["items"]["data"][0]
            if params.get("proration_behavior") == "always_invoice":
                proration_date = int(params.get("proration_date", self.clock))
                amount, lines = self._proration(sub, new_price, proration_date)
                if self.decline_next_payment:
                    self.decline_next_payment = False
                    return 402, {"error": {"type": "card_error", "code": "card_declined", "message": "Declined."}}
                invoice = self._invoice(sub["customer"], "subscription_update", lines, amount, paid=True, sub=sub)
                sub["latest_invoice"] = invoice["id"]
                self.events.append(self.event("invoice.paid", invoice))
            item["price"] = self.prices[new_price]
        if "cancel_at_period_end" in params:
            sub["cancel_at_period_end"] = params["cancel_at_period_end"] == "true"
        if "metadata" in params:
            sub["metadata"] = {**sub["metadata"], **params["metadata"]}
        self.events.append(self.event("customer.subscription.updated", sub))
        answer = dict(sub)
        if "latest_invoice" in params.get("expand", []) and sub["latest_invoice"]:
            answer["latest_invoice"] = self.invoices[sub["latest_invoice"]]
        return 200, answer

    def cancel_subscription(self, params, sub_id):
        sub = self.subscriptions[sub_id]
        sub["status"] = "canceled"
        self.events.append(self.event("customer.subscription.deleted", sub))
        return 200, sub

    def preview_invoice(self, params):
        sub = self.subscriptions[params["subscription"]]
        details = params["subscription_details"]
        amount, lines = self._proration(sub, details["items"][0]["price"], int(details["proration_date"]))
        return 200, {
            "object": "invoice",
            "id": None,
            "amount_due": amount,
            "currency": "usd",
            "lines": {"object": "list", "data": lines},
        }

    routes = [
        (r"POST /v1/customers", create_customer),
        (r"GET /v1/prices", list_prices),
        (r"POST /v1/prices", create_price),
        (r"GET /v1/prices/([\w]+)", get_price),
        (r"POST /v1/checkout/sessions", create_session),
        (r"POST /v1/billing_portal/sessions", create_portal_session),
        (r"GET /v1/subscriptions/([\w]+)", get_subscription),
        (r"POST /v1/subscriptions/([\w]+)", update_subscription),
        (r"DELETE /v1/subscriptions/([\w]+)", cancel_subscription),
        (r"POST /v1/invoices/create_preview", preview_invoice),
    ]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                pairs = parse_qsl(url.query, keep_blank_values=True) + parse_qsl(body, keep_blank_values=True)
                if not self.headers.get("Authorization", "").startswith("Bearer sk_test_"):
                    status, answer = 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}
                else:
                    status, answer = fake.handle(self.command, url.path, parse_form(pairs))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_fake")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args):
                pass

        return Handler
