"""Operators: one for every HighLevel action of the catalog, by API area (``operators.contacts``, ...)."""
