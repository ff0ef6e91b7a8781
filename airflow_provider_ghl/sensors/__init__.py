"""Sensors: one for every HighLevel polling trigger of the catalog, by API area (``sensors.contacts``, ...)."""
