"""Apache Airflow provider for the HighLevel (GoHighLevel, LeadConnector) CRM API.

Importing this package is cheap on purpose: DAG files import it on every parse, so hooks,
operators, sensors and the sandbox live in submodules that load only when used.
"""

from __future__ import annotations

__version__ = "0.1.0"

from airflow_provider_ghl.get_provider_info import get_provider_info

__all__ = ["__version__", "get_provider_info"]
