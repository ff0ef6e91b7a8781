"""Sandbox handlers and seed data for HighLevel's companies area (the agency that owns the locations)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_ghl.sandbox.errors import forbidden
from airflow_provider_ghl.sandbox.routing import Call, handles, pick
from airflow_provider_ghl.sandbox.state import iso

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

COMPANY_FIELDS = (
    "id", "name", "email", "logoUrl", "phone", "website", "domain", "spareDomain", "privacyPolicy", "termsConditions",
    "address", "city", "postalCode", "country", "state", "timezone", "relationshipNumber", "subdomain", "plan",
    "currency", "customerType", "termsOfServiceVersion", "termsOfServiceAcceptedBy", "termsOfServiceAcceptedDate",
    "twilioTrialMode", "twilioFreeCredits", "isReselling", "onboardingInfo", "upgradeEnabledForClients",
    "cancelEnabledForClients", "autoSuspendEnabled", "saasSettings", "enableDepreciatedFeatures", "premiumUpgraded",
    "status", "locationCount", "disableEmailService", "isEnterpriseAccount", "businessNiche", "isSandboxAccount",
)


def check_company(call: Call, company_id: str | None) -> str:
    """The company a request names, when the token belongs to it (a token never reaches another agency)."""
    if company_id and company_id != call.token.company_id:
        raise forbidden("The token does not have access to this company.")
    return company_id or call.token.company_id


def seed(state: SandboxState) -> None:
    anchor = state.seed_anchor()
    state.insert("companies", {
        "id": state.company_id, "name": "Northwind Growth Agency", "email": "ops@northwind-agency.example",
        "logoUrl": "https://assets.northwind-agency.example/logo.png", "phone": "+14155550100",
        "website": "https://northwind-agency.example", "domain": "app.northwind-agency.example",
        "spareDomain": "crm.northwind-agency.example", "privacyPolicy": "https://northwind-agency.example/privacy",
        "termsConditions": "https://northwind-agency.example/terms", "address": "500 Market Street",
        "city": "San Francisco", "postalCode": "94105", "country": "US", "state": "CA", "timezone": "America/Los_Angeles",
        "relationshipNumber": "NW-2291", "subdomain": "northwind", "plan": 297, "currency": "USD",
        "customerType": "agency", "termsOfServiceVersion": "2024-01", "termsOfServiceAcceptedBy": "agency-owner",
        "termsOfServiceAcceptedDate": iso(anchor.replace(year=anchor.year - 1)), "twilioTrialMode": False,
        "twilioFreeCredits": 0, "isReselling": True, "onboardingInfo": {"pending": False, "haveWebsite": True},
        "upgradeEnabledForClients": False, "cancelEnabledForClients": False, "autoSuspendEnabled": False,
        "saasSettings": {}, "enableDepreciatedFeatures": False, "premiumUpgraded": False, "status": "active",
        "disableEmailService": False, "isEnterpriseAccount": False, "businessNiche": "marketing_agency",
        "isSandboxAccount": True,
    })


@handles("get_company")
def get_company(call: Call) -> dict:
    company = call.record("companies", check_company(call, call.path["companyId"]), "Company")
    locations = sum(1 for loc in call.table("locations").values() if loc.get("companyId") == company["id"])
    return {"company": {**pick(company, COMPANY_FIELDS), "locationCount": locations}}
