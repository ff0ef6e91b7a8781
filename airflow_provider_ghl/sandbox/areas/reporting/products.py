"""Products, stateful: list (search, ids, offset paging; HighLevel's ``total`` is a list of one count), get,
create, update and delete. Table ``products``; each seeded product keeps its one-time price as ``_price``
(what invoice and order items are priced at)."""

from __future__ import annotations

from airflow_provider_ghl.sandbox.areas.reporting.common import (
    answer,
    checked_body,
    location_of,
    offset_slice,
    ordered,
    owned,
    searched,
)
from airflow_provider_ghl.sandbox.routing import Call, handles

EDITABLE = ("name", "description", "productType", "image", "statementDescriptor", "availableInStore", "medias",
            "variants", "collectionIds", "isTaxesEnabled", "taxes", "automaticTaxCategoryId", "isLabelEnabled",
            "label", "slug", "seo", "taxInclusive")


def _product(call: Call) -> dict:
    return owned(call, "products", call.path["productId"], "Product", location_field="locationId")


@handles("products__list_invoices")  # HighLevel's operationId for List Products is ``list-invoices``
def list_products(call: Call) -> dict:
    location = location_of(call)
    records = [r for r in call.table("products").values() if r["locationId"] == location]
    ids = {i for raw in call.query_lists.get("productIds", []) for i in raw.split(",") if i}
    if ids:
        records = [r for r in records if r["id"] in ids]
    records = ordered(searched(records, call.query.get("search"), ("name", "description")), call)
    return {"products": [answer(r) for r in offset_slice(call, records)], "total": [{"total": len(records)}]}


@handles("get_product_by_id")
def get_product(call: Call) -> dict:
    return answer(_product(call))


@handles("create_product")
def create_product(call: Call) -> dict:
    data, now = checked_body(call), call.now()
    product = {"id": call.state.new_id(), "collectionIds": [], "taxes": [], "variants": [],
               **{k: data[k] for k in EDITABLE if data.get(k) is not None},
               "locationId": location_of(call), "createdAt": now, "updatedAt": now}
    return answer(call.state.insert("products", product))


@handles("update_product_by_id")
def update_product(call: Call) -> dict:
    product, data = _product(call), checked_body(call)
    product.update({k: data[k] for k in EDITABLE if data.get(k) is not None}, updatedAt=call.now())
    return answer(product)


@handles("delete_product_by_id")
def delete_product(call: Call) -> dict:
    del call.table("products")[_product(call)["id"]]
    return {"status": True}
