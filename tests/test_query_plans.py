"""Every list query is backed by an index (docs/decisions.md, "Lists on big accounts").

Each case loads one API list or dashboard page with a few rows present, records the
SELECTs it ran (SQL and parameters, through an execute wrapper) and asks the database
how it would run each one that reads a table that grows with an account's history:

- SQLite: `EXPLAIN QUERY PLAN`; a `SCAN` of such a table (reading all of it, in table
  or index order, instead of a `SEARCH` of one account's rows) or a temporary B-tree
  for its ORDER BY (sorting every matching row to show the first page) fails.
- PostgreSQL: `EXPLAIN` with sequential scans and sorts priced out of reach
  (`enable_seqscan`, `enable_sort`, `enable_incremental_sort` off, for this
  transaction only; merge and hash joins too, so joins are the index lookups a page
  of rows makes), so either still in the plan means no index can do the job: a
  `Seq Scan` of such a table, or a `Sort` of its rows, fails. Which of several
  usable indexes the planner picks depends on the statistics of a few test rows, so
  this side checks only that some index serves the filter and the order; the SQLite
  side, which plans without statistics, is the stricter one (every read is a SEARCH).

bin/test-postgres runs this module on PostgreSQL with the rest of the suite.
"""

import json
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey, AuditEvent, IdempotencyRecord, Membership, User, Workspace
from billing import ledger, usage
from billing.models import BillingAccount, CreditPack, LedgerEntry, Payment, RequestLog, UsageDay
from templates_app.models import DesignTemplate, Image, UserFont
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

# Tables that grow with an account's history or with the number of accounts.
BIG_TABLES = {
    model._meta.db_table
    for model in (
        User,
        Workspace,
        Membership,
        AuditEvent,
        ApiKey,
        IdempotencyRecord,
        BillingAccount,
        LedgerEntry,
        Payment,
        RequestLog,
        UsageDay,
        DesignTemplate,
        Image,
        UserFont,
        WebhookSubscription,
        WebhookDelivery,
        WebhookAttempt,
    )
}

API_LISTS = [
    "/api/v1/templates",
    "/api/v1/templates?limit=2&offset=2",
    "/api/v1/images",
    "/api/v1/images?limit=2&offset=2",
    "/api/v1/images?template={template}",
    "/api/v1/images?status=failed",
    "/api/v1/images?template={template}&status=completed",
    "/api/v1/fonts",
    "/api/v1/webhooks",
    "/api/v1/account",
    "/api/v1/usage",
    "/api/v1/usage?days=365",
]
# A key restricted to one template filters every list by it.
RESTRICTED_API_LISTS = ["/api/v1/templates", "/api/v1/images", "/api/v1/images?status=completed"]
DASHBOARD_PAGES = [
    "/dashboard/",
    "/dashboard/templates",
    "/dashboard/templates?q=card&page=2",
    "/dashboard/images",
    "/dashboard/images?page=2",
    "/dashboard/images?template={template}",
    "/dashboard/images?status=failed",
    "/dashboard/images?mode=test",
    "/dashboard/images?mode=live&template={template}",
    "/dashboard/images?mode=live&status=completed",
    "/dashboard/images?since={since}&until={until}",
    "/dashboard/images?mode=test&since={since}",
    "/dashboard/images/{image}",
    "/dashboard/keys",
    "/dashboard/usage",
    "/dashboard/usage?days=90",
    "/dashboard/usage.csv?days=7",
    "/dashboard/webhooks",
    "/dashboard/webhooks?page=2",
    "/dashboard/billing",
    "/dashboard/billing?page=2",
    "/dashboard/billing/payments/{payment}",
    "/dashboard/audit",
    "/dashboard/audit?page=2",
]


@pytest.fixture
def account(db):
    """alice with some of everything: templates, live and test images, keys, a font,
    webhooks with deliveries and attempts, ledger entries, a payment, logged requests;
    bob with a few rows of his own, so no query gets by on a table of one owner."""
    alice = User.objects.create_user("alice@example.com", "correct horse battery staple")
    alice.mark_email_verified()
    bob = User.objects.create_user("bob@example.com", "correct horse battery staple")
    for user in (alice, bob):
        billing = ledger.open_account(user)
        for balance in (50, 40, 30):
            ledger.set_balance(user, balance=balance, reason="test setup")
        templates = DesignTemplate.objects.bulk_create(
            DesignTemplate(owner=user, name=f"card {i}", width=10, height=10) for i in range(30)
        )
        Image.objects.bulk_create(
            Image(
                owner=user,
                template=templates[i % 2],
                template_public_id=templates[i % 2].public_id,
                template_version=1,
                width=10,
                height=10,
                sandbox=i % 3 == 0,
                status=Image.Status.FAILED if i % 4 == 0 else Image.Status.COMPLETED,
            )
            for i in range(40)
        )
        UserFont.objects.create(owner=user, family="Inter", original_format="ttf", file="fonts/x.ttf", file_size=1)
        subscription = WebhookSubscription.objects.create(owner=user, url="https://example.com/hook", secret="s")
        for i in range(25):
            delivery = WebhookDelivery.objects.create(
                owner=user, subscription=subscription, url=subscription.url, event_type="test.event", body="{}"
            )
            WebhookAttempt.objects.create(delivery=delivery, status_code=200 + i, duration_ms=5)
        RequestLog.objects.bulk_create(
            RequestLog(user=user, method="GET", endpoint="image-list", status=200, duration_ms=3) for _ in range(5)
        )
        for days_ago in range(40):  # daily rollups, per template and for requests
            day = timezone.now().date() - timedelta(days=days_ago)
            usage.add_usage(user, day=day, key="key_x", requests=3, errors=1)
            usage.add_usage(user, day=day, template=templates[0].public_id, images=2, credits_used=2)
        for pack in CreditPack.objects.all():
            Payment.objects.create(account=billing, kind=Payment.Kind.PACK, pack=pack, provider=Payment.Provider.MANUAL)
        ApiKey.issue(user, name="test", mode="test")
    _, live_raw = ApiKey.issue(alice, name="live")
    template = DesignTemplate.objects.filter(owner=alice).last()
    _, restricted_raw = ApiKey.issue(alice, name="storefront", allowed_templates=[template.public_id])
    today = timezone.now().date()
    return {
        "user": alice,
        "key": live_raw,
        "restricted_key": restricted_raw,
        "names": {
            "template": template.public_id,
            "image": Image.objects.filter(owner=alice).first().public_id,
            "payment": Payment.objects.filter(account__user=alice).first().public_id,
            "since": (today - timedelta(days=7)).isoformat(),
            "until": today.isoformat(),
        },
    }


@contextmanager
def recorded_queries():
    """Every statement run inside, with its parameters (as the database got them)."""
    queries = []

    def record(execute, sql, params, many, context):
        queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield queries


def big_table_aliases(sql: str) -> dict[str, str]:
    """The names a plan may use for the big tables this SQL reads: theirs, and Django's aliases (U0, T3)."""
    names = {}
    for table in BIG_TABLES:
        if f'"{table}"' not in sql:
            continue
        names[table] = table
        for alias in re.findall(rf'"{table}"\s+(?:AS\s+)?"?([A-Z]\d+)\b', sql):
            names[alias] = table
    return names


def is_prefetch(sql: str) -> bool:
    """A prefetch_related query (`WHERE child.parent_id IN (ids of one page)`): the rows it sorts
    are those of one page of parents, however big the table."""
    return re.search(r'WHERE "\w+"\."\w+" IN \((%s, )*%s\)( ORDER BY [^()]*)?$', sql) is not None


def sorts_groups(sql: str) -> bool:
    """An ORDER BY over a GROUP BY's result: it sorts one row per group (an account's keys or
    templates), however many rows were summed into them."""
    return re.search(r"\bGROUP BY [^()]* ORDER BY [^()]*$", sql) is not None


def sqlite_problems(sql: str, params, tables: dict[str, str]) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        details = [row[3] for row in cursor.fetchall()]
    problems = []
    for detail in details:
        scanned = re.match(r"SCAN (\w+)", detail)
        if scanned and scanned.group(1) in tables:
            problems.append(f"{detail} (reads all of {tables[scanned.group(1)]})")
        sorts_few_rows = is_prefetch(sql) or sorts_groups(sql)
        if detail.startswith("USE TEMP B-TREE FOR") and "ORDER BY" in detail and not sorts_few_rows:
            problems.append(detail)
    return problems


def postgres_problems(sql: str, params, tables: dict[str, str]) -> list[str]:
    with connection.cursor() as cursor:
        # SET LOCAL: only until the test's transaction is rolled back.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        # A page's rows join their parents by key: nested loops of index lookups. (Merge and
        # hash joins read the whole parent table, which on a few rows the planner may prefer.)
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    problems = []

    def walk(node: dict, sort: str | None) -> None:
        """`sort` describes the Sort above this node whose input it is, if any."""
        kind, table = node["Node Type"], node.get("Relation Name")
        if table in BIG_TABLES:
            if kind == "Seq Scan":
                problems.append(f"Seq Scan on {table}")
            if sort and not is_prefetch(sql):
                problems.append(f"{sort} of {table} rows")
        if kind in ("Sort", "Incremental Sort"):
            sort = f"{kind} by {', '.join(node.get('Sort Key', []))}"
        elif kind in ("Aggregate", "Group", "WindowAgg"):
            sort = None  # sorting a handful of aggregated rows is not sorting the table
        for child in node.get("Plans", []):
            walk(child, None if child.get("Parent Relationship") in ("SubPlan", "InitPlan") else sort)

    walk(plan[0]["Plan"], None)
    return problems


def plan_problems(queries) -> list[str]:
    explain = postgres_problems if connection.vendor == "postgresql" else sqlite_problems
    found = []
    for sql, params in queries:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        tables = big_table_aliases(sql)
        if tables:
            found += [f"{problem}\n    in: {shown(sql, params)}" for problem in explain(sql, params, tables)]
    return found


def shown(sql: str, params) -> str:
    """The statement with its parameters in place, for the failure message."""
    try:
        return sql % tuple(params or ())
    except (TypeError, ValueError):
        return f"{sql} {params!r}"


def load(client, url: str) -> list:
    with recorded_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return queries


@pytest.mark.parametrize("url", API_LISTS)
def test_api_lists_use_indexes(account, url):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {account['key']}")
    queries = load(api, url.format(**account["names"]))
    assert not plan_problems(queries), "\n".join(plan_problems(queries))


@pytest.mark.parametrize("url", RESTRICTED_API_LISTS)
def test_lists_of_a_key_restricted_to_templates_use_indexes(account, url):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {account['restricted_key']}")
    queries = load(api, url)
    assert not plan_problems(queries), "\n".join(plan_problems(queries))


@pytest.mark.parametrize("url", DASHBOARD_PAGES)
def test_dashboard_pages_use_indexes(account, url):
    browser = Client()
    browser.force_login(account["user"])
    queries = load(browser, url.format(**account["names"]))
    assert not plan_problems(queries), "\n".join(plan_problems(queries))


def test_the_check_catches_a_full_scan_and_a_sort(account):
    """The check itself, on queries no index serves: a filter on an unindexed column, an unindexed order."""
    with recorded_queries() as queries:
        list(Image.objects.filter(width=10).order_by()[:5])
        list(Image.objects.filter(owner=account["user"]).order_by("-width")[:5])
    scan, sort = (plan_problems([query]) for query in queries)
    assert len(scan) == 1 and re.match(r"(SCAN|Seq Scan on) templates_app_image", scan[0])
    assert len(sort) == 1 and re.match(r"(USE TEMP B-TREE FOR ORDER BY|Sort by .* of templates_app_image)", sort[0])
