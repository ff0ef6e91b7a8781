"""Airflow discovers the provider, its connection form and its extra link; importing it stays cheap."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import jsonschema

from airflow_provider_ghl import get_provider_info


def test_provider_info_validates_against_airflows_schemas():
    info = get_provider_info()
    airflow_schema = json.loads(resources.files("airflow").joinpath("provider_info.schema.json").read_text())
    jsonschema.validate(info, airflow_schema)
    yaml_schema = json.loads(resources.files("airflow").joinpath("provider.yaml.schema.json").read_text())
    jsonschema.validate(info["connection-types"], yaml_schema["properties"]["connection-types"])


def test_provider_info_modules_and_classes_exist():
    import importlib

    info = get_provider_info()
    for section in ("hooks", "operators", "sensors", "triggers"):
        for entry in info[section]:
            for module in entry["python-modules"]:
                importlib.import_module(module)
    for dotted in [*info["extra-links"], *(c["hook-class-name"] for c in info["connection-types"])]:
        module, _, name = dotted.rpartition(".")
        assert hasattr(importlib.import_module(module), name), dotted


def test_providers_manager_finds_the_connection_type_and_secret_fields():
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "airflow-provider-ghl" in manager.providers
    widgets = manager.connection_form_widgets
    assert widgets["extra__ghl__client_secret"].is_sensitive
    assert widgets["extra__ghl__refresh_token"].is_sensitive
    assert not widgets["extra__ghl__location_id"].is_sensitive
    assert "ghl" in manager.field_behaviours


def test_importing_the_package_does_not_import_airflow_or_httpx():
    code = "import sys, airflow_provider_ghl; print(sorted(m for m in sys.modules if m.split('.')[0] in ('airflow','httpx')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_connection_form_lets_users_store_the_port_the_test_button_needs():
    # Airflow 3.3's Test button posts Number(stored port): 0 for a connection stored without a port, which
    # the API refuses as a different endpoint. Users must see Port to store one (tests/ui proves it in a browser).
    from airflow.providers_manager import ProvidersManager

    behaviour = ProvidersManager().field_behaviours["ghl"]
    assert "port" not in behaviour["hidden_fields"]
    assert behaviour["relabeling"]["port"].startswith("Port") and "Test" in behaviour["relabeling"]["port"]
    assert behaviour["placeholders"]["port"] == "443"
