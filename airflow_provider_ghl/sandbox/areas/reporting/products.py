"""Products and their prices, stateful: list (search, ids, offset paging; HighLevel's ``total`` for products is a
list of one count), get, create, update and delete. Tables ``products`` and ``prices`` (a price names its
``product``); each seeded product has a one-time price, what invoice and order items are priced at."""

from __future__ import annotations

from airflow_provider_ghl.sandbox.areas.reporting.common import (
    answer,
    checked_body,
    given,
    location_of,
    offset_slice,
    ordered,
    owned,
    searched,
)
from airflow_provider_ghl.sandbox.errors import not_found
from airflow_provider_ghl.sandbox.routing import Call, handles

PRICE_EDITABLE = ("name", "type", "currency", "amount", "recurring", "description", "membershipOffers", "trialPeriod",
                  "totalCycles", "setupFee", "variantOptionIds", "compareAtPrice", "userId", "meta", "trackInventory",
                  "availableQuantity", "allowOutOfStockPurchases", "sku", "shippingOptions", "isDigitalProduct",
                  "digitalDelivery")
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
               **given(data, EDITABLE),
               "locationId": location_of(call), "createdAt": now, "updatedAt": now}
    return answer(call.state.insert("products", product))


@handles("update_product_by_id")
def update_product(call: Call) -> dict:
    product, data = _product(call), checked_body(call)
    product.update(given(data, EDITABLE), updatedAt=call.now())
    return answer(product)


@handles("delete_product_by_id")
def delete_product(call: Call) -> dict:
    product = call.table("products").pop(_product(call)["id"])
    for price in [p for p in call.table("prices").values() if p["product"] == product["id"]]:
        del call.table("prices")[price["id"]]  # a product's prices go with it
    return {"status": True}


def _price(call: Call) -> dict:
    price = call.table("prices").get(call.path["priceId"])
    if price is None or price["product"] != _product(call)["id"]:
        raise not_found("Price")
    return price


@handles("list_prices_for_product")
def list_prices(call: Call) -> dict:
    product = _product(call)
    prices = [p for p in call.table("prices").values() if p["product"] == product["id"]]
    ids = {i for raw in call.query_lists.get("ids", []) for i in raw.split(",") if i}
    prices = ordered([p for p in prices if not ids or p["id"] in ids], call)
    return {"prices": [answer(p) for p in offset_slice(call, prices)], "total": len(prices)}


@handles("get_price_by_id_for_product")
def get_price(call: Call) -> dict:
    return answer(_price(call))


@handles("create_price_for_product")
def create_price(call: Call) -> dict:
    product, data, now = _product(call), checked_body(call), call.now()
    price = {"id": call.state.new_id(), **given(data, PRICE_EDITABLE),
             "product": product["id"], "locationId": product["locationId"], "createdAt": now, "updatedAt": now}
    return answer(call.state.insert("prices", price))


@handles("update_price_by_id_for_product")
def update_price(call: Call) -> dict:
    price, data = _price(call), checked_body(call)
    price.update(given(data, PRICE_EDITABLE), updatedAt=call.now())
    return answer(price)


@handles("delete_price_by_id_for_product")
def delete_price(call: Call) -> dict:
    del call.table("prices")[_price(call)["id"]]
    return {"status": True}
