"""The reporting areas are stateful: invoices, payments (orders, transactions), products, forms and surveys with their
submissions. A write is seen by the reads after it, lists filter and page as the spec says with correct totals, an
unknown id is HighLevel's 404, another location's a 403; every answer matches the official schema of the version
asked (v2 and v3). The last test proves every stateful operation answered in both versions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jsonschema
import pytest

from airflow_provider_ghl.catalog import Operation, get_operation
from tests.sandbox.answers import assert_error_shape
from tests.sandbox.test_every_operation import schema_of

AREAS = ("invoices", "payments", "products", "forms", "surveys")
VERSIONS = ("v2", "v3")
COVERED: set[tuple[str, str]] = set()


@pytest.fixture
def ghl(fresh_sandbox):
    """``ghl(key, version, expect=None, query=..., body=..., **path)``: one request in that version's form, its answer
    judged (the status; a success against the official schema of that version, an error by HighLevel's shape)."""
    token = fresh_sandbox.connection("full")["password"]

    def send(key: str, version: str = "v2", *, expect: int | None = None, query: dict | None = None,
             body: Any = None, **path: str) -> Any:
        op = get_operation(key, version)
        response = httpx.request(
            op.method, fresh_sandbox.base_url + op.render_path(path), params=query, timeout=30,
            headers={"Authorization": f"Bearer {token}", "Version": "v3" if version == "v3" else op.version},
            **({"json": body} if body is not None else {}))
        return judged(op, response, expect)

    return send


def judged(op: Operation, response: httpx.Response, expect: int | None) -> Any:
    expected = expect or op.success_status
    assert response.status_code == expected, f"{op.key} {op.api}: {response.status_code} {response.text[:300]}"
    body = response.json()
    if response.is_success:
        jsonschema.validate(body, schema_of(op, expected), cls=jsonschema.Draft7Validator)
        COVERED.add((op.key, op.api))
    else:
        assert_error_shape(body, expected)
    return body


def located(sandbox) -> dict:
    return {"altId": sandbox.location_id, "altType": "location"}


def mine(sandbox, table: str, field: str = "altId") -> list[dict]:
    return [r for r in sandbox.control("GET", f"tables/{table}") if r[field] == sandbox.location_id]


def a_contact(sandbox) -> dict:
    return next(c for c in sandbox.control("GET", "tables/contacts") if c["locationId"] == sandbox.location_id)


def invoice_body(sandbox, contact: dict, **more: Any) -> dict:
    return {**located(sandbox), "name": "Website redesign", "currency": "EUR", "liveMode": True,
            "businessDetails": {"name": "Gestioo"}, "discount": {"type": "percentage", "value": 10},
            "contactDetails": {"id": contact["id"]}, "issueDate": "2026-03-02", "dueDate": "2026-03-16",
            "sentTo": {"email": [contact.get("email") or "a@b.example"]},
            "items": [{"name": "Design", "currency": "EUR", "amount": 1200, "qty": 2},
                      {"name": "Hosting", "currency": "EUR", "amount": 100, "qty": 1}], **more}


@pytest.mark.parametrize("version", VERSIONS)
def test_an_invoice_created_is_read_listed_updated_and_deleted(ghl, fresh_sandbox, version):
    contact = a_contact(fresh_sandbox)
    created = ghl("create_invoice", version, body=invoice_body(fresh_sandbox, contact))
    assert (created["status"], created["total"], created["amountDue"], created["currency"]) == ("draft", 2250, 2250, "EUR")
    assert created["contactDetails"]["id"] == contact["id"] and created["contactDetails"]["email"] == contact.get("email", "")
    invoice_id = created["_id"]
    assert ghl("get_invoice", version, query=located(fresh_sandbox), invoice_id=invoice_id) == created

    listed = ghl("invoices__list_invoices", version, query={**located(fresh_sandbox), "limit": 100, "offset": 0,
                                                             "contactId": contact["id"]})
    assert invoice_id in [i["_id"] for i in listed["invoices"]]
    assert listed["total"] == len(listed["invoices"]) == len(
        [i for i in mine(fresh_sandbox, "invoices") if i["contactDetails"]["id"] == contact["id"]])

    updated = ghl("update_invoice", version, invoice_id=invoice_id, body={
        **located(fresh_sandbox), "name": "Website redesign (v2)", "currency": "EUR", "issueDate": "2026-03-02",
        "dueDate": "2026-03-30", "invoiceItems": [{"name": "Design", "currency": "EUR", "amount": 1000, "qty": 1}]})
    assert (updated["name"], updated["total"], updated["dueDate"]) == ("Website redesign (v2)", 900, "2026-03-30")
    assert updated["updatedAt"] >= created["updatedAt"]
    assert ghl("get_invoice", version, query=located(fresh_sandbox), invoice_id=invoice_id)["total"] == 900

    ghl("delete_invoice", version, query=located(fresh_sandbox), invoice_id=invoice_id)
    gone = ghl("get_invoice", version, expect=404, query=located(fresh_sandbox), invoice_id=invoice_id)
    assert gone["message"] == "Invoice not found"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_recorded_payment_pays_the_invoice_and_is_a_transaction(ghl, fresh_sandbox, version):
    invoice = next(i for i in mine(fresh_sandbox, "invoices") if i["status"] == "sent")
    due = invoice["amountDue"]
    body = {**located(fresh_sandbox), "mode": "cash", "card": {}, "cheque": {}, "notes": "paid at the desk"}
    half = ghl("record_invoice", version, body={**body, "amount": due / 2}, invoice_id=invoice["id"])["invoice"]
    assert (half["status"], half["amountPaid"], half["amountDue"]) == ("partially_paid", due / 2, due - due / 2)
    paid = ghl("record_invoice", body=body, invoice_id=invoice["id"])["invoice"]
    assert (paid["status"], paid["amountDue"]) == ("paid", 0)
    ghl("record_invoice", expect=422, body=body, invoice_id=invoice["id"])  # nothing left to pay

    payments = ghl("list_transactions", query={**located(fresh_sandbox), "entityId": invoice["id"]})["data"]
    assert sorted(p["amount"] for p in payments) == [due / 2, due - due / 2]
    one = ghl("get_transaction_by_id", version, query=located(fresh_sandbox), transaction_id=payments[0]["_id"])
    assert one["invoiceId"] == invoice["id"] and one["entitySource"]["type"] == "invoice"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_voided_invoice_says_so_and_a_paid_one_cannot_be_voided(ghl, fresh_sandbox, version):
    invoices = mine(fresh_sandbox, "invoices")
    sent = next(i for i in invoices if i["status"] == "sent")
    assert ghl("void_invoice", version, body=located(fresh_sandbox), invoice_id=sent["id"])["status"] == "void"
    assert ghl("get_invoice", version, query=located(fresh_sandbox), invoice_id=sent["id"])["status"] == "void"
    paid = next(i for i in invoices if i["status"] == "paid")
    ghl("void_invoice", version, expect=422, body=located(fresh_sandbox), invoice_id=paid["id"])
    ghl("delete_invoice", version, expect=422, query=located(fresh_sandbox), invoice_id=paid["id"])


@pytest.mark.parametrize("version", VERSIONS)
def test_an_order_is_read_with_its_source_and_amounts(ghl, fresh_sandbox, version):
    order = mine(fresh_sandbox, "orders")[0]
    answer = ghl("get_order_by_id", version, query=located(fresh_sandbox), order_id=order["id"])
    assert (answer["_id"], answer["amount"], answer["contactId"]) == (order["id"], order["amount"], order["contactId"])
    assert answer["source"]["id"] == order["sourceId"] and answer["amountSummary"]["subtotal"] == order["subtotal"]


@pytest.mark.parametrize("version", VERSIONS)
def test_lists_filter_by_status_dates_and_contact_with_right_totals(ghl, fresh_sandbox, version):
    invoices = mine(fresh_sandbox, "invoices")
    days = sorted({i["issueDate"] for i in invoices})
    start, end = days[len(days) // 4], days[3 * len(days) // 4]
    query = {**located(fresh_sandbox), "limit": 100, "offset": 0, "status": "paid", "startAt": start, "endAt": end}
    listed = ghl("invoices__list_invoices", version, query=query)
    expected = {i["id"] for i in invoices if i["status"] == "paid" and start <= i["issueDate"] <= end}
    assert {i["_id"] for i in listed["invoices"]} == expected and listed["total"] == len(expected) > 0

    transactions = mine(fresh_sandbox, "transactions")
    contact_id = transactions[0]["contactId"]
    listed = ghl("list_transactions", version, query={**located(fresh_sandbox), "contactId": contact_id, "limit": 100})
    assert {t["_id"] for t in listed["data"]} == {t["id"] for t in transactions if t["contactId"] == contact_id}
    assert listed["totalCount"] == len(listed["data"])

    orders = mine(fresh_sandbox, "orders")
    since = sorted(o["createdAt"] for o in orders)[len(orders) // 2][:10]
    listed = ghl("list_orders", version, query={**located(fresh_sandbox), "startAt": since, "status": "completed", "limit": 100})
    expected = {o["id"] for o in orders if o["createdAt"][:10] >= since and o["status"] == "completed"}
    assert {o["_id"] for o in listed["data"]} == expected and listed["totalCount"] == len(expected)
    ghl("invoices__list_invoices", version, expect=422, query={**query, "startAt": "yesterday"})
    by_total = ghl("invoices__list_invoices", version, query={**located(fresh_sandbox), "limit": 100, "offset": 0,
                                                               "sortField": "total", "sortOrder": "desc"})["invoices"]
    assert [i["total"] for i in by_total] == sorted((i["total"] for i in invoices), reverse=True)


@pytest.mark.parametrize(("key", "records_key", "table", "field", "total"), [
    ("invoices__list_invoices", "invoices", "invoices", "altId", lambda a: a["total"]),
    ("list_transactions", "data", "transactions", "altId", lambda a: a["totalCount"]),
    ("products__list_invoices", "products", "products", "locationId", lambda a: a["total"][0]["total"]),
])
def test_offset_pages_hold_each_record_once(ghl, fresh_sandbox, key, records_key, table, field, total):
    op = get_operation(key)
    seen: list[str] = []
    offset = 0
    while True:
        answer = ghl(key, query={**located(fresh_sandbox), "locationId": fresh_sandbox.location_id,
                                 op.pagination["limit_param"]: 7, op.pagination["offset_param"]: offset})
        seen += [r["_id"] for r in answer[records_key]]
        if len(answer[records_key]) < 7:
            break
        offset += 7
    assert sorted(seen) == sorted(r["id"] for r in mine(fresh_sandbox, table, field)) and total(answer) == len(seen)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_product_created_is_read_listed_updated_and_deleted(ghl, fresh_sandbox, version):
    location = {"locationId": fresh_sandbox.location_id}
    created = ghl("create_product", version, body={**location, "name": "Brand Kit", "productType": "DIGITAL",
                                                   "description": "Logo and colours"})
    product_id = created["_id"]
    assert ghl("get_product_by_id", version, query=location, product_id=product_id) == created
    listed = ghl("products__list_invoices", version, query={**location, "search": "brand kit"})
    assert [p["_id"] for p in listed["products"]] == [product_id]
    updated = ghl("update_product_by_id", version, product_id=product_id,
                  body={**location, "name": "Brand Kit Pro", "productType": "DIGITAL"})
    assert updated["name"] == "Brand Kit Pro" and updated["description"] == "Logo and colours"
    assert ghl("delete_product_by_id", version, query=location, product_id=product_id) == {"status": True}
    ghl("get_product_by_id", version, expect=404, query=location, product_id=product_id)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_products_prices_are_listed_created_updated_and_deleted_with_it(ghl, fresh_sandbox, version):
    location = {"locationId": fresh_sandbox.location_id}
    product = mine(fresh_sandbox, "products", "locationId")[0]
    seeded = [p for p in fresh_sandbox.control("GET", "tables/prices") if p["product"] == product["id"]]
    listed = ghl("list_prices_for_product", version, query=location, product_id=product["id"])
    assert [p["_id"] for p in listed["prices"]] == [p["id"] for p in seeded] and listed["total"] == 1
    created = ghl("create_price_for_product", version, product_id=product["id"], body={
        **location, "name": "Monthly", "type": "recurring", "currency": "USD", "amount": 99,
        "recurring": {"interval": "month", "intervalCount": 1}})
    price = {"product_id": product["id"], "price_id": created["_id"]}
    assert ghl("get_price_by_id_for_product", version, query=location, **price) == created
    assert ghl("list_prices_for_product", version, query=location, product_id=product["id"])["total"] == 2
    updated = ghl("update_price_by_id_for_product", version, **price, body={
        **location, "name": "Monthly", "type": "recurring", "currency": "USD", "amount": 89})
    assert updated["amount"] == 89 and updated["recurring"] == {"interval": "month", "intervalCount": 1}
    assert ghl("delete_price_by_id_for_product", version, query=location, **price) == {"status": True}
    ghl("get_price_by_id_for_product", version, expect=404, query=location, **price)
    other = mine(fresh_sandbox, "products", "locationId")[1]["id"]  # a price is read only through its own product
    ghl("get_price_by_id_for_product", version, expect=404, query=location, product_id=other, price_id=seeded[0]["id"])
    ghl("delete_product_by_id", version, query=location, product_id=product["id"])
    assert not [p for p in fresh_sandbox.control("GET", "tables/prices") if p["product"] == product["id"]]


def test_unknown_ids_are_404_and_another_locations_records_403(ghl, fresh_sandbox):
    query = located(fresh_sandbox)
    for key, argument, what in (("get_invoice", "invoice_id", "Invoice"), ("get_order_by_id", "order_id", "Order"),
                                ("get_transaction_by_id", "transaction_id", "Transaction")):
        assert ghl(key, expect=404, query=query, **{argument: "noSuchRecord0000001"})["message"] == f"{what} not found"
    elsewhere = {"altId": "anotherLocation0001", "altType": "location", "limit": 10, "offset": 0}
    assert_error_shape(ghl("invoices__list_invoices", expect=403, query=elsewhere), 403, "location")
    invoice = mine(fresh_sandbox, "invoices")[0]
    assert_error_shape(ghl("get_invoice", expect=403, query=elsewhere, invoice_id=invoice["id"]), 403, "location")
    assert_error_shape(ghl("create_invoice", expect=422, body={**invoice_body(fresh_sandbox, a_contact(fresh_sandbox)),
                                                                "contactDetails": {"id": "notAContact000000001"}}),
                       422, "contactId notAContact000000001")


@pytest.mark.parametrize("version", VERSIONS)
def test_forms_surveys_and_their_submissions_page_by_number_within_last_month_by_default(ghl, fresh_sandbox, version):
    location = {"locationId": fresh_sandbox.location_id}
    forms = ghl("get_forms", version, query=location)
    assert forms["total"] == len(forms["forms"]) == len(mine(fresh_sandbox, "forms", "locationId"))
    surveys = ghl("get_surveys", version, query=location)
    assert surveys["total"] == len(mine(fresh_sandbox, "surveys", "locationId"))

    submissions = mine(fresh_sandbox, "form_submissions", "locationId")
    month_ago = (datetime.now(UTC) - timedelta(days=31)).strftime("%Y-%m-%d")
    everything = {**location, "startAt": "2020-01-01", "limit": 30}
    first = ghl("get_forms_submissions", version, query={**everything, "page": 1})
    assert first["meta"] == {"total": len(submissions), "currentPage": 1, "nextPage": 2, "prevPage": None}
    seen = [s["id"] for page in range(1, len(submissions) // 30 + 2)
            for s in ghl("get_forms_submissions", version, query={**everything, "page": page})["submissions"]]
    assert sorted(seen) == sorted(s["id"] for s in submissions)
    recent = ghl("get_forms_submissions", version, query={**location, "limit": 100})  # HighLevel's default: the last month
    assert 0 < recent["meta"]["total"] < len(submissions)
    assert all(s["createdAt"][:10] >= month_ago for s in recent["submissions"])
    form_id = submissions[0]["formId"]
    by_form = ghl("get_forms_submissions", version, query={**everything, "formId": form_id, "limit": 100})["submissions"]
    assert {s["id"] for s in by_form} == {s["id"] for s in submissions if s["formId"] == form_id}
    assert all(s["others"]["eventData"]["source"] for s in by_form)
    survey_answers = ghl("get_surveys_submissions", version, query={**everything, "limit": 100})
    assert survey_answers["meta"]["total"] == len(mine(fresh_sandbox, "survey_submissions", "locationId"))


def test_every_stateful_reporting_operation_answered_in_both_versions():
    from airflow_provider_ghl.sandbox.areas import reporting
    from airflow_provider_ghl.sandbox.routing import HANDLERS

    served = {key for key, handler in HANDLERS.items() if handler.__module__.startswith(reporting.__name__)}
    assert {get_operation(key).area for key in served} == set(AREAS)
    missing = {(key, version) for key in served for version in VERSIONS} - COVERED
    assert not missing, sorted(missing)
