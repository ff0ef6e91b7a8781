"""Sandbox handlers and seed data for HighLevel's reporting areas: invoices, payments (orders and transactions),
products and their prices, forms and surveys with their submissions, stateful so that exports can be checked
record by record.

Tables: ``products``, ``prices``, ``invoices``, ``orders``, ``transactions``, ``forms``, ``surveys``,
``form_submissions``, ``survey_submissions``. These operations are outside the catalog's 124 (its second tier):
the gateway runs the handlers registered here instead of the stateless example answer, behind the same checks.
The rest of these areas (estimates, schedules, templates, coupons, subscriptions, collections, reviews, inventory,
order fulfillments...) stays stateless.

One module per part of the API (``invoices``, ``payments``, ``products``, ``forms``) over ``common``, plus
``seed_data``. Importing the package registers every route.
"""

from __future__ import annotations

from airflow_provider_ghl.sandbox.areas.reporting import forms, invoices, payments, products
from airflow_provider_ghl.sandbox.areas.reporting.seed_data import seed

__all__ = ["forms", "invoices", "payments", "products", "seed"]
