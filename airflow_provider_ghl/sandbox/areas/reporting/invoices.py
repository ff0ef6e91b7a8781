"""Invoices, stateful: list (status, contact, issue dates, search, sorting, offset paging with ``total``), get, create,
update, delete, void and record a payment (which adds its transaction). Table ``invoices``.

Both versions' specs give these operations the same request and answer schemas, so one handler serves both.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_ghl.sandbox.areas.reporting.common import (
    answer,
    checked_body,
    contact_details,
    contact_of,
    day_bound,
    given,
    in_payment_mode,
    in_range,
    location_of,
    matching,
    offset_slice,
    ordered,
    owned,
    searched,
)
from airflow_provider_ghl.sandbox.areas.reporting.seed_data import insert_transaction
from airflow_provider_ghl.sandbox.errors import unprocessable
from airflow_provider_ghl.sandbox.routing import Call, handles
from airflow_provider_ghl.sandbox.state import parse_time

"""``paymentMode`` filter -> ``liveMode`` (HighLevel's ``default`` lists both)."""
EDITABLE = ("name", "title", "currency", "description", "termsNotes", "businessDetails", "discount", "liveMode",
            "issueDate", "dueDate", "automaticTaxesEnabled", "paymentSchedule", "tipsConfiguration",
            "invoiceNumberPrefix", "paymentMethods", "attachments", "miscellaneousCharges")


def _invoice(call: Call) -> dict:
    return owned(call, "invoices", call.path["invoiceId"], "Invoice")


@handles("invoices__list_invoices")
def list_invoices(call: Call) -> dict:
    location = location_of(call)
    records = [r for r in call.table("invoices").values() if r["altId"] == location]
    records = matching(records, call, {"status": "status"})
    if call.query.get("contactId"):
        records = [r for r in records if r["contactDetails"].get("id") == call.query["contactId"]]
    records = in_payment_mode(records, call)
    issued = in_range(call, "issueDate")
    records = [r for r in records if issued(r)]
    records = searched(records, call.query.get("search"), ("name", "title", "invoiceNumber", "contactDetails.name",
                                                            "contactDetails.email"))
    records = ordered(records, call)
    return {"invoices": [answer(r) for r in offset_slice(call, records)], "total": len(records)}


@handles("get_invoice")
def get_invoice(call: Call) -> dict:
    return answer(_invoice(call))


def _date(data: dict, name: str) -> str | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    day_bound(value, name, end=False)  # a 422 naming the field unless it is a date
    return value


def _items(data: dict, name: str, currency: str) -> list[dict]:
    items = data.get(name) or []
    problems = [f"{name}.{index} must be an object with name, amount and qty" for index, item in enumerate(items)
                if not isinstance(item, dict) or not isinstance(item.get("amount"), int | float)
                or not isinstance(item.get("qty", 1), int | float)]
    if problems:
        raise unprocessable(*problems)
    return [{"taxes": [], "currency": currency, "qty": 1, **item} for item in items]


def _totals(invoice: dict) -> None:
    """``total``, ``amountDue`` and ``totalSummary`` from the items, the discount and what was paid."""
    subtotal = round(sum(item["amount"] * item["qty"] for item in invoice["invoiceItems"]), 2)
    discount = invoice.get("discount") or {}
    value = discount.get("value") or 0 if isinstance(discount, dict) else 0
    off = round(subtotal * value / 100 if discount.get("type") == "percentage" else value, 2) if value else 0
    invoice["total"] = round(subtotal - off, 2)
    invoice["amountDue"] = round(invoice["total"] - invoice["amountPaid"], 2)
    invoice["totalSummary"] = {"subTotal": subtotal, "discount": off, "tax": 0}


def _contact_details(call: Call, data: dict, location: str, current: dict | None = None) -> dict:
    details = data.get("contactDetails")
    if details is not None and not isinstance(details, dict):
        raise unprocessable("contactDetails must be an object")
    details = details or {}
    contact = contact_of(call, details.get("id") or data.get("contactId"), location)
    if contact is not None:
        return {**contact_details(contact), **{k: v for k, v in details.items() if v not in (None, "")}}
    return {**(current or {}), **details} if (current or details) else {"name": "", "email": ""}


@handles("create_invoice")
def create_invoice(call: Call) -> dict:
    data, location, now = checked_body(call), location_of(call), call.now()
    issue = _date(data, "issueDate") or now[:10]
    numbers = [r["invoiceNumber"] for r in call.table("invoices").values() if r["altId"] == location]
    invoice = {
        "id": call.state.new_id(), "status": "draft", "liveMode": bool(data.get("liveMode", True)), "amountPaid": 0,
        "altId": location, "altType": "location", "title": "INVOICE",
        **given(data, EDITABLE),
        "businessDetails": data.get("businessDetails") if isinstance(data.get("businessDetails"), dict) else {},
        "invoiceNumber": int(data["invoiceNumber"]) if str(data.get("invoiceNumber", "")).isdigit()
        else max(numbers, default=0) + 1,
        "contactDetails": _contact_details(call, data, location), "issueDate": issue,
        "dueDate": _date(data, "dueDate") or issue, "createdAt": now, "updatedAt": now,
    }
    invoice["invoiceItems"] = _items(data, "items", invoice["currency"])
    _totals(invoice)
    return answer(call.state.insert("invoices", invoice))


@handles("update_invoice")
def update_invoice(call: Call) -> dict:
    invoice, data = _invoice(call), checked_body(call)
    if invoice["status"] in ("paid", "void"):
        raise unprocessable(f"A {invoice['status']} invoice cannot be updated")
    for name in ("issueDate", "dueDate"):
        _date(data, name)
    invoice.update(given(data, EDITABLE))
    invoice["contactDetails"] = _contact_details(call, data, invoice["altId"], invoice["contactDetails"])
    if "invoiceItems" in data:
        invoice["invoiceItems"] = _items(data, "invoiceItems", invoice["currency"])
    _totals(invoice)
    invoice["updatedAt"] = call.now()
    return answer(invoice)


@handles("delete_invoice")
def delete_invoice(call: Call) -> dict:
    invoice = _invoice(call)
    if invoice["amountPaid"]:
        raise unprocessable("An invoice with payments cannot be deleted; void it instead")
    return answer(call.table("invoices").pop(invoice["id"]))


@handles("void_invoice")
def void_invoice(call: Call) -> dict:
    invoice = _invoice(call)
    if invoice["status"] == "paid":
        raise unprocessable("A paid invoice cannot be voided")
    invoice.update(status="void", updatedAt=call.now())
    return answer(invoice)


@handles("record_invoice")
def record_payment(call: Call) -> dict:
    """A manual payment (cash, cheque...): the invoice's paid amount and status, and a transaction for it."""
    invoice, data = _invoice(call), checked_body(call)
    if invoice["status"] in ("draft", "void", "paid"):
        raise unprocessable(f"A payment cannot be recorded on a {invoice['status']} invoice")
    amount: Any = data.get("amount", invoice["amountDue"])
    if not isinstance(amount, int | float) or not 0 < amount <= invoice["amountDue"]:
        raise unprocessable(f"amount must be a number above 0 and at most the amount due ({invoice['amountDue']})")
    invoice["amountPaid"] = round(invoice["amountPaid"] + amount, 2)
    invoice["status"] = "paid" if invoice["amountPaid"] >= invoice["total"] else "partially_paid"
    _totals(invoice)
    invoice["updatedAt"] = call.now()
    details = invoice["contactDetails"]
    contact = call.table("contacts").get(details.get("id") or "") or {"id": details.get("id") or "",
                                                                       "firstName": details.get("name")}
    insert_transaction(call.state, contact, {"entityType": "invoice", "entityId": invoice["id"],
                                             "entitySourceType": "invoice", "entitySourceName": invoice["name"]},
                       invoice["currency"], amount, "succeeded", parse_time(invoice["updatedAt"]),
                       location_id=invoice["altId"], provider=f"manual ({data.get('mode') or 'other'})")
    return {"success": True, "invoice": answer(invoice)}
