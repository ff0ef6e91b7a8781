"""The reporting areas' seeded records: products with their prices, invoices, orders, their payments
(transactions), forms and surveys with their submissions, all of the main location and drawn from the state's
seeded Random.

Dated over the weeks before the seed anchor (``REPORTING_WINDOW``), so a daily export finds a few of each every
day. Invoices and orders belong to seeded contacts; each paid (or partly paid) one has its transaction, and a
few payments failed. Submissions carry the lead source HighLevel records in ``others.eventData``
(``source``, ``medium``, the landing page with its ``utm_`` parameters).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from airflow_provider_ghl.sandbox.areas.contacts.seed_data import quick_id
from airflow_provider_ghl.sandbox.areas.reporting.common import contact_details, contact_name
from airflow_provider_ghl.sandbox.state import epoch_ms, iso

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

REPORTING_WINDOW = timedelta(weeks=8)
PRODUCTS = (  # name, productType, price, currency
    ("Website Audit", "SERVICE", 450.0), ("Monthly SEO Retainer", "SERVICE", 1200.0),
    ("Logo Design", "DIGITAL", 300.0), ("Landing Page", "DIGITAL", 850.0), ("Strategy Workshop", "SERVICE", 2000.0),
    ("Printed Brochures (500)", "PHYSICAL", 275.0), ("Social Media Pack", "DIGITAL", 180.0),
    ("Support Hours (10)", "SERVICE", 650.0),
)
CURRENCIES = ("USD",) * 7 + ("EUR", "EUR", "CAD")
INVOICE_STATUSES = ("paid",) * 5 + ("sent",) * 3 + ("partially_paid", "draft", "void")
ORDER_STATUSES = ("completed",) * 6 + ("pending", "refunded")
FORMS = ("Contact Us", "Free Quote Request", "Newsletter Signup", "Webinar Registration")
SURVEYS = ("Customer Satisfaction", "Lead Qualifier")
LEAD_SOURCES = (  # source, medium, utm_source, utm_medium, adSource
    ("Google Ads", "cpc", "google", "cpc", "google"), ("Facebook Ads", "paid_social", "facebook", "paid_social", "facebook"),
    ("Organic Search", "organic", "google", "organic", ""), ("Direct", "direct", "", "", ""),
    ("Referral", "referral", "partner-blog", "referral", ""), ("Newsletter", "email", "newsletter", "email", ""),
)
SOURCE_WEIGHTS = (5, 4, 4, 2, 2, 1)
FORM_FIELDS = ("full_name", "email", "phone", "message")


def seed(state: SandboxState) -> None:
    contacts = [c for c in state.table("contacts").values() if c["locationId"] == state.location_id]
    products = _products(state)
    if contacts:
        _invoices(state, contacts, products)
        _orders(state, contacts, products)
        _submissions(state, contacts)


def moment(state: SandboxState) -> datetime:
    """An instant within ``REPORTING_WINDOW`` before the seed anchor."""
    return state.seed_anchor() - timedelta(milliseconds=state.rng.randrange(1, int(REPORTING_WINDOW.total_seconds() * 1000)))


def later(state: SandboxState, start: datetime, most: timedelta) -> datetime:
    """An instant after ``start``, at most ``most`` later and never past the anchor (what the seed has seen)."""
    end = min(start + most, state.seed_anchor() - timedelta(milliseconds=1))
    span = max(int((end - start).total_seconds() * 1000), 1)
    return start + timedelta(milliseconds=state.rng.randrange(0, span))


def _products(state: SandboxState) -> list[dict]:
    created = state.seed_anchor() - REPORTING_WINDOW - timedelta(days=30)
    products = []
    for number, (name, kind, price) in enumerate(PRODUCTS):
        stamp = iso(created + timedelta(hours=number))
        products.append(state.insert("products", {
            "id": quick_id(state.rng), "name": name, "description": f"{name}, as sold by the agency.", "productType": kind,
            "locationId": state.location_id, "availableInStore": kind != "SERVICE", "createdAt": stamp,
            "updatedAt": stamp, "statementDescriptor": name[:22].upper(), "collectionIds": [], "isTaxesEnabled": False,
            "taxes": [], "slug": name.lower().replace(" ", "-").replace("(", "").replace(")", ""), "variants": [],
        }))
        state.insert("prices", {"id": quick_id(state.rng), "product": products[-1]["id"], "locationId": state.location_id,
                                "name": name, "type": "one_time", "currency": "USD", "amount": price,
                                "createdAt": stamp, "updatedAt": stamp})
    return products


def line_items(state: SandboxState, products: list[dict], currency: str) -> list[dict]:
    prices = {price["product"]: price for price in state.table("prices").values()}
    items = []
    for product in state.rng.sample(products, state.rng.randint(1, 3)):
        price = prices[product["id"]]
        items.append({"_id": quick_id(state.rng), "productId": product["id"], "priceId": price["id"], "currency": currency,
                      "name": product["name"], "qty": state.rng.randint(1, 3), "amount": price["amount"], "taxes": []})
    return items


def _invoices(state: SandboxState, contacts: list[dict], products: list[dict]) -> None:
    rng = state.rng
    business = state.table("locations")[state.location_id]
    for number in range(1, max(6, len(contacts) // 4) + 1):
        contact, currency, status = rng.choice(contacts), rng.choice(CURRENCIES), rng.choice(INVOICE_STATUSES)
        items = line_items(state, products, currency)
        total = sum(item["amount"] * item["qty"] for item in items)
        issued = moment(state)
        paid = {"paid": total, "partially_paid": round(total * rng.choice((0.25, 0.5)), 2)}.get(status, 0.0)
        updated = later(state, issued, timedelta(days=10)) if status != "draft" else issued
        invoice = state.insert("invoices", {
            "id": quick_id(state.rng), "status": status, "liveMode": True, "amountPaid": paid, "altId": state.location_id,
            "altType": "location", "name": f"{business['name']} invoice {number}", "title": "INVOICE",
            "businessDetails": {"name": business["name"], "address": business.get("address", ""),
                                "phoneNo": business.get("phone", ""), "website": business.get("website", "")},
            "invoiceNumber": number, "currency": currency, "contactDetails": contact_details(contact),
            "issueDate": iso(issued)[:10], "dueDate": iso(issued + timedelta(days=14))[:10],
            "discount": {"type": "percentage", "value": 0}, "invoiceItems": items, "total": total,
            "amountDue": round(total - paid, 2), "createdAt": iso(issued), "updatedAt": iso(updated),
            "totalSummary": {"subTotal": total, "discount": 0, "tax": 0},
        })
        if paid:
            insert_transaction(state, contact, {"entityType": "invoice", "entityId": invoice["id"],
                                                "entitySourceType": "invoice", "entitySourceName": invoice["name"]},
                               currency, paid, "succeeded", updated)
        elif status == "sent" and rng.random() < 0.3:  # a card that was declined
            insert_transaction(state, contact, {"entityType": "invoice", "entityId": invoice["id"],
                                                "entitySourceType": "invoice", "entitySourceName": invoice["name"]},
                               currency, total, "failed", updated)


def _orders(state: SandboxState, contacts: list[dict], products: list[dict]) -> None:
    rng = state.rng
    for _ in range(max(4, len(contacts) // 8)):
        contact, status = rng.choice(contacts), rng.choice(ORDER_STATUSES)
        items = line_items(state, products, "USD")
        amount = sum(item["amount"] * item["qty"] for item in items)
        created = moment(state)
        source = rng.choice(("funnel", "website"))
        order = state.insert("orders", {
            "id": quick_id(state.rng), "altId": state.location_id, "altType": "location", "contactId": contact["id"],
            "contactName": contact_name(contact), "contactEmail": contact.get("email") or "", "currency": "USD",
            "amount": amount, "subtotal": amount, "discount": 0, "status": status, "liveMode": True,
            "totalProducts": len(items), "sourceType": source, "sourceName": f"{source.title()} checkout",
            "sourceId": quick_id(state.rng), "sourceSubType": "one_step_order_form", "createdAt": iso(created),
            "updatedAt": iso(created), "fulfillmentStatus": "unfulfilled" if status == "pending" else "fulfilled",
            "onetimeProducts": len(items), "recurringProducts": 0, "_items": items,
        })
        if status != "pending":
            insert_transaction(state, contact, {"entityType": "order", "entityId": order["id"],
                                                "entitySourceType": source, "entitySourceName": order["sourceName"],
                                                "entitySourceSubType": "one_step_order_form"},
                               "USD", amount, "refunded" if status == "refunded" else "succeeded", created)


def insert_transaction(state: SandboxState, contact: dict, entity: dict, currency: str, amount: float, status: str,
                       when: datetime, *, location_id: str | None = None, provider: str = "stripe") -> dict:
    """A payment of ``amount`` for an invoice or order (``entity``: its type, id and source)."""
    stamp = iso(when)
    return state.insert("transactions", {
        "id": quick_id(state.rng), "altId": location_id or state.location_id, "altType": "location", "contactId": contact["id"],
        "contactName": contact_name(contact), "contactEmail": contact.get("email") or "", "currency": currency,
        "amount": amount, "status": status, "liveMode": True, **entity, "entitySourceId": entity["entityId"],
        "chargeId": f"ch_{quick_id(state.rng)}", "paymentProviderType": provider, "createdAt": stamp, "updatedAt": stamp,
        "amountRefunded": amount if status == "refunded" else 0, "paymentMethod": {"type": "card"},
        "fulfilledAt": stamp,
    })


def _submissions(state: SandboxState, contacts: list[dict]) -> None:
    rng = state.rng
    forms = [state.insert("forms", {"id": quick_id(state.rng), "name": name, "locationId": state.location_id})
             for name in FORMS]
    surveys = [state.insert("surveys", {"id": quick_id(state.rng), "name": name, "locationId": state.location_id})
               for name in SURVEYS]
    for table, parents, parent_field, count in (("form_submissions", forms, "formId", max(8, len(contacts) // 2)),
                                                ("survey_submissions", surveys, "surveyId", max(3, len(contacts) // 8))):
        for _ in range(count):
            contact, parent = rng.choice(contacts), rng.choice(parents)
            created = moment(state)
            state.insert(table, {
                "id": quick_id(state.rng), "contactId": contact["id"], "createdAt": iso(created), parent_field: parent["id"],
                "name": contact_name(contact), "email": contact.get("email") or "", "locationId": state.location_id,
                "others": {"eventData": event_data(state, parent["name"], created), "fieldsOriSequance": list(FORM_FIELDS)},
            })


def event_data(state: SandboxState, page_title: str, when: datetime) -> dict:
    """Where a submission came from, as HighLevel's form tracking records it."""
    source, medium, utm_source, utm_medium, ad_source = state.rng.choices(LEAD_SOURCES, weights=SOURCE_WEIGHTS)[0]
    slug = page_title.lower().replace(" ", "-")
    query = f"?utm_source={utm_source}&utm_medium={utm_medium}&utm_campaign=spring" if utm_source else ""
    return {"type": "page-visit", "source": source, "medium": medium, "adSource": ad_source,
            "domain": "www.gestioo.example", "referrer": f"https://{utm_source}.example/" if utm_source else "",
            "page": {"url": f"https://www.gestioo.example/{slug}{query}", "title": page_title},
            "timestamp": epoch_ms(when), "pageVisitType": "form"}
