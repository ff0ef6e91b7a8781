"""Provider metadata read by Airflow's providers manager (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

from typing import Any

AUTH_TYPES = ["private_integration", "oauth", "agency"]
DEFAULT_BASE_URL = "https://services.leadconnectorhq.com"
TEST_PORT_LABEL = "Port (443; needed by the Test button)"


def _connection_fields() -> dict[str, Any]:
    nullable = {"type": ["string", "null"]}
    secret = {"type": ["string", "null"], "format": "password"}
    return {
        "auth_type": {
            "label": "Auth type",
            "description": "private_integration: a Private Integration token in Password. "
            "oauth: a Marketplace app (client id/secret and refresh token). "
            "agency: an agency OAuth app whose Company token is exchanged for location tokens.",
            "schema": {"type": "string", "enum": AUTH_TYPES, "default": "private_integration"},
        },
        "location_id": {"label": "Location ID", "description": "Sub-account used when a task names none.",
                        "schema": nullable},
        "company_id": {"label": "Company ID", "description": "Agency id, for agency tokens and user search.",
                       "schema": nullable},
        "client_id": {"label": "OAuth client ID", "schema": nullable},
        "client_secret": {"label": "OAuth client secret", "schema": secret},
        "refresh_token": {
            "label": "Initial refresh token",
            "description": "Seed only: HighLevel rotates refresh tokens on every refresh; the current one is "
            "kept in an Airflow Variable (encrypted at rest) shared by all workers.",
            "schema": secret,
        },
        "scopes": {
            "label": "Granted scopes",
            "description": "Space-separated scopes the token holds (e.g. 'contacts.readonly contacts.write'). "
            "Operations needing a missing scope fail before any request. Empty: not checked locally.",
            "schema": nullable,
        },
        "api_version": {
            "label": "API version",
            "description": "'v2' or 'v3': the API version whose paths, parameters and Version header requests "
            "follow; 'legacy' or a dated version ('2021-07-28'): v2 requests with that header. Empty: v2.",
            "schema": nullable,
        },
        "timeout": {"label": "Timeout (s)", "schema": {"type": ["number", "null"], "minimum": 1}},
        "app_url": {
            "label": "App URL",
            "description": "Where the 'View in HighLevel' links point (a white-label domain, say). "
            "Empty: https://app.gohighlevel.com.",
            "schema": nullable,
        },
    }


def get_provider_info() -> dict[str, Any]:
    from airflow_provider_ghl import __version__
    from airflow_provider_ghl.catalog import operations

    action_areas = sorted({op.area for op in operations().values() if op.kind == "A"})
    trigger_areas = sorted({op.area for op in operations().values() if op.kind == "T"})
    integration = "HighLevel"
    return {
        "package-name": "airflow-provider-ghl",
        "name": "HighLevel (GoHighLevel)",
        "description": "Hooks, operators, sensors and triggers for the HighLevel (GoHighLevel, LeadConnector) "
        "CRM API, with an offline sandbox server.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": integration,
                "external-doc-url": "https://marketplace.gohighlevel.com/docs/",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": integration, "python-modules": ["airflow_provider_ghl.hooks.ghl"]}],
        "operators": [
            {
                "integration-name": integration,
                "python-modules": [*(f"airflow_provider_ghl.operators.{area}" for area in action_areas),
                                   "airflow_provider_ghl.operators.generic"],
            }
        ],
        "sensors": [
            {
                "integration-name": integration,
                "python-modules": [*(f"airflow_provider_ghl.sensors.{area}" for area in trigger_areas),
                                   "airflow_provider_ghl.sensors.generic"],
            }
        ],
        "triggers": [{"integration-name": integration, "python-modules": ["airflow_provider_ghl.triggers.ghl"]}],
        "connection-types": [
            {
                "connection-type": "ghl",
                "hook-class-name": "airflow_provider_ghl.hooks.ghl.GHLHook",
                "hook-name": "HighLevel (GoHighLevel)",
                # Port stays visible although the base URL carries the port: Airflow 3.3's Test button posts
                # Number(stored port), i.e. 0 for a NULL port, and the API then refuses the test because
                # 0 != NULL ("The host or port to test differs from the stored connection"). A stored port
                # (any non-zero one: the CLI drops 0) makes Test work, so users must be able to set it here.
                # The hook only uses it when the base URL names no port.
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "login"],
                    "relabeling": {"host": "API base URL", "password": "Token (Private Integration or access token)",
                                   "port": TEST_PORT_LABEL},
                    "placeholders": {"host": DEFAULT_BASE_URL, "password": "pit-...", "port": "443"},
                },
                "conn-fields": _connection_fields(),
            }
        ],
        "extra-links": ["airflow_provider_ghl.links.GHLRecordLink"],
        **_webhook_info(),
    }


def _webhook_info() -> dict[str, Any]:
    """The ``ghl://<location_id>/<family>`` asset scheme and the webhook receiver's ``[ghl]`` options.

    The receiver itself is a plugin registered by the ``airflow.plugins`` entry point, not listed here under
    ``plugins``: Airflow loads provider plugins only with ``[core] lazy_discover_providers = False``, and then
    it would load the same plugin twice.
    """
    from airflow_provider_ghl.webhooks import settings

    return {
        "asset-uris": [{"schemes": ["ghl"], "handler": "airflow_provider_ghl.assets.normalize_uri"}],
        "config": {
            settings.SECTION: {
                "description": "HighLevel webhook receiver (POST /ghl/webhooks on the API server).",
                "options": settings.OPTIONS,
            }
        },
    }
