"""Sandbox handlers and seed data for HighLevel's workflows area."""

from __future__ import annotations
