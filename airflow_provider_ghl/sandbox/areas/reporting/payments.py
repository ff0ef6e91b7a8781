"""Payments, stateful: orders and transactions (the payments of invoices and orders), listed with HighLevel's
filters (contact, entity, source, status, live or test, ``startAt``/``endAt`` on ``createdAt``, search; offset paging
with ``totalCount``) and read one by one. Tables ``orders`` and ``transactions``; records are written by the seed
and by recording an invoice's payment (``invoices.record_payment``).

HighLevel's list answers a flat record, its get a nested one (``entitySource``, ``contactSnapshot``): both are
built from the one stored record.
"""

from __future__ import annotations

from airflow_provider_ghl.sandbox.areas.reporting.common import (
    answer,
    in_payment_mode,
    in_range,
    location_of,
    matching,
    offset_slice,
    ordered,
    owned,
    searched,
)
from airflow_provider_ghl.sandbox.routing import Call, handles


def _listed(call: Call, table: str, filters: dict[str, str], search: tuple[str, ...]) -> list[dict]:
    location = location_of(call)
    records = matching((r for r in call.table(table).values() if r["altId"] == location), call, filters)
    records = in_payment_mode(records, call)
    keep = in_range(call, "createdAt")
    return ordered(searched([r for r in records if keep(r)], call.query.get("search"), search), call)


def _snapshot(record: dict) -> dict:
    return {"id": record["contactId"], "name": record["contactName"], "email": record["contactEmail"]}


@handles("list_transactions")
def list_transactions(call: Call) -> dict:
    records = _listed(call, "transactions", {"contactId": "contactId", "entityId": "entityId",
                                             "entitySourceType": "entitySourceType",
                                             "entitySourceSubType": "entitySourceSubType",
                                             "subscriptionId": "subscriptionId"},
                      ("contactName", "contactEmail", "entitySourceName"))
    return {"data": [answer(r) for r in offset_slice(call, records)], "totalCount": len(records)}


@handles("get_transaction_by_id")
def get_transaction(call: Call) -> dict:
    record = owned(call, "transactions", call.path["transactionId"], "Transaction")
    source = {"type": record["entitySourceType"], "id": record["entitySourceId"], "name": record["entitySourceName"]}
    if record.get("entitySourceSubType"):
        source["subType"] = record["entitySourceSubType"]
    return {
        "_id": record["id"], "altType": record["altType"], "altId": record["altId"], "contactId": record["contactId"],
        "contactSnapshot": _snapshot(record), "currency": record["currency"], "amount": record["amount"],
        "status": record["status"], "liveMode": record["liveMode"], "createdAt": record["createdAt"],
        "updatedAt": record["updatedAt"], "entityType": record["entityType"], "entityId": record["entityId"],
        "entitySource": source, "chargeId": record["chargeId"],
        **({"invoiceId": record["entityId"]} if record["entityType"] == "invoice" else {}),
        "paymentProvider": {"type": record["paymentProviderType"]}, "amountRefunded": record["amountRefunded"],
    }


@handles("list_orders")
def list_orders(call: Call) -> dict:
    records = _listed(call, "orders", {"status": "status", "contactId": "contactId", "sourceId": "sourceId"},
                      ("contactName", "contactEmail", "sourceName"))
    return {"data": [answer(r) for r in offset_slice(call, records)], "totalCount": len(records)}


@handles("get_order_by_id")
def get_order(call: Call) -> dict:
    record = owned(call, "orders", call.path["orderId"], "Order")
    return {
        "_id": record["id"], "altId": record["altId"], "altType": record["altType"], "contactId": record["contactId"],
        "currency": record["currency"], "amount": record["amount"], "status": record["status"],
        "liveMode": record["liveMode"], "createdAt": record["createdAt"], "updatedAt": record["updatedAt"],
        "fulfillmentStatus": record["fulfillmentStatus"], "contactSnapshot": _snapshot(record),
        "amountSummary": {"subtotal": record["subtotal"], "discount": record["discount"]},
        "source": {"type": record["sourceType"], "subType": record["sourceSubType"], "id": record["sourceId"],
                   "name": record["sourceName"]},
    }
