"""Sandbox handlers and seed data for HighLevel's calendars area."""

from __future__ import annotations
