"""HighLevel's gate in front of every route: auth, Version, scopes, location access, rate limits, faults, OAuth."""

from __future__ import annotations

import time

import httpx
import pytest

from airflow_provider_ghl.catalog import operations


def first_contact_id(sandbox) -> str:
    return sandbox.control("GET", "tables/contacts")[0]["id"]


def assert_error_shape(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status and body["message"]
    return body


def test_every_catalog_operation_has_a_handler():
    from airflow_provider_ghl.sandbox.app import load_areas
    from airflow_provider_ghl.sandbox.routing import HANDLERS

    load_areas()
    assert sorted(set(operations()) - set(HANDLERS)) == []


def test_missing_or_unknown_token_is_401(fresh_sandbox):
    url = f"{fresh_sandbox.base_url}/contacts/{first_contact_id(fresh_sandbox)}"
    assert_error_shape(httpx.get(url, headers={"Version": "2021-07-28"}), 401)
    body = assert_error_shape(httpx.get(url, headers={"Version": "2021-07-28", "Authorization": "Bearer nope"}), 401)
    assert body["error"] == "Unauthorized"


def test_version_header_is_required(fresh_sandbox, api):
    contact_id = first_contact_id(fresh_sandbox)
    missing = api("GET", f"/contacts/{contact_id}", version="")
    assert assert_error_shape(missing, 400)["message"] == "Version header was not found"
    assert_error_shape(api("GET", f"/contacts/{contact_id}", version="1999-01-01"), 400)


def test_readonly_token_cannot_write_and_the_error_names_the_scope(fresh_sandbox, api):
    readonly = fresh_sandbox.connection("readonly")["password"]
    contact_id = first_contact_id(fresh_sandbox)
    assert api("GET", f"/contacts/{contact_id}", token=readonly).status_code == 200
    refused = api("PUT", f"/contacts/{contact_id}", token=readonly, json={"firstName": "X"})
    assert "contacts.write" in assert_error_shape(refused, 401)["message"]
    assert api("GET", f"/contacts/{contact_id}").json()["contact"].get("firstName") != "X"


def test_other_locations_are_forbidden(fresh_sandbox, api):
    response = api("GET", "/contacts/", params={"locationId": "someOtherLocation000"})
    assert_error_shape(response, 403)


def test_unknown_route_is_404_in_highlevels_shape(api):
    assert assert_error_shape(api("GET", "/no/such/route"), 404)["error"] == "Not Found"


def test_rate_limit_headers_burst_429_and_recovery(fresh_sandbox, api):
    fresh_sandbox.configure(rate_limits={"enabled": True, "burst_max": 5, "interval_ms": 1000})
    contact_id = first_contact_id(fresh_sandbox)
    responses = [api("GET", f"/contacts/{contact_id}") for _ in range(6)]
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    headers = responses[0].headers
    assert headers["X-RateLimit-Max"] == "5" and headers["X-RateLimit-Remaining"] == "4"
    assert headers["X-RateLimit-Interval-Milliseconds"] == "1000"
    assert {"x-ratelimit-limit-daily", "x-ratelimit-daily-remaining"} <= {name.lower() for name in headers}
    assert responses[-1].headers["X-RateLimit-Remaining"] == "0"
    time.sleep(1.05)
    assert api("GET", f"/contacts/{contact_id}").status_code == 200


def test_daily_limit_is_429_with_no_daily_budget_left(fresh_sandbox, api):
    fresh_sandbox.configure(rate_limits={"enabled": True, "daily_max": 3})
    contact_id = first_contact_id(fresh_sandbox)
    statuses = [api("GET", f"/contacts/{contact_id}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    last = api("GET", f"/contacts/{contact_id}")
    assert last.headers["X-RateLimit-Daily-Remaining"] == "0"
    assert "Daily" in last.json()["message"]


def fault_statuses(sandbox, api, contact_id) -> list[int]:
    sandbox.configure(faults={"rate": 0.5, "kinds": {"500": 1, "502": 1, "503": 1, "429": 1}, "seed": 11})
    return [api("GET", f"/contacts/{contact_id}").status_code for _ in range(30)]


def test_faults_are_reproducible_by_seed(fresh_sandbox, api):
    contact_id = first_contact_id(fresh_sandbox)
    first = fault_statuses(fresh_sandbox, api, contact_id)
    second = fault_statuses(fresh_sandbox, api, contact_id)
    assert first == second
    assert {500, 502, 503, 429} <= set(first) and 200 in first


def test_faults_can_target_one_route(fresh_sandbox, api):
    fresh_sandbox.configure(faults={"rate": 1.0, "kinds": {"503": 1}, "routes": ["create_contact"], "seed": 1})
    assert api("GET", f"/contacts/{first_contact_id(fresh_sandbox)}").status_code == 200
    body = {"locationId": fresh_sandbox.location_id, "email": "fault@example.com"}
    assert api("POST", "/contacts/", json=body).status_code == 503
    fresh_sandbox.configure(faults={"rate": 0.0, "routes": []})


def test_timeout_fault_does_the_work_then_answers_too_late(fresh_sandbox, api):
    fresh_sandbox.configure(faults={"rate": 1.0, "kinds": {"timeout": 1}, "routes": ["create_contact"],
                                    "delay_s": 3})
    body = {"locationId": fresh_sandbox.location_id, "email": "late@example.com", "firstName": "Late"}
    with pytest.raises(httpx.ReadTimeout):
        api("POST", "/contacts/", json=body, timeout=0.5)
    fresh_sandbox.configure(faults={"rate": 0.0, "routes": []})
    found = api("GET", "/contacts/search/duplicate",
                params={"locationId": fresh_sandbox.location_id, "email": "late@example.com"})
    assert found.json()["contact"]["firstName"] == "Late"


def test_disconnect_fault_cuts_the_connection(fresh_sandbox, api):
    fresh_sandbox.configure(faults={"rate": 1.0, "kinds": {"disconnect": 1}, "seed": 3})
    with pytest.raises(httpx.RemoteProtocolError):
        api("GET", f"/contacts/{first_contact_id(fresh_sandbox)}")
    fresh_sandbox.configure(faults={"rate": 0.0})
    assert fresh_sandbox.stats()["fault:disconnect"] == 1


def oauth_form(sandbox, **fields) -> dict:
    extra = sandbox.connection("oauth")["extra"]
    return {"client_id": extra["client_id"], "client_secret": extra["client_secret"], **fields}


def test_refresh_rotates_and_the_old_refresh_token_stops_working(fresh_sandbox, api):
    url = f"{fresh_sandbox.base_url}/oauth/token"
    first_refresh = fresh_sandbox.connection("oauth")["extra"]["refresh_token"]
    granted = httpx.post(url, data=oauth_form(fresh_sandbox, grant_type="refresh_token", refresh_token=first_refresh))
    assert granted.status_code == 200
    body = granted.json()
    assert body["refresh_token"] != first_refresh and body["token_type"] == "Bearer"
    assert body["userType"] == "Location" and body["locationId"] == fresh_sandbox.location_id
    assert api("GET", f"/contacts/{first_contact_id(fresh_sandbox)}", token=body["access_token"]).status_code == 200

    reused = httpx.post(url, data=oauth_form(fresh_sandbox, grant_type="refresh_token", refresh_token=first_refresh))
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    again = httpx.post(url, data=oauth_form(fresh_sandbox, grant_type="refresh_token",
                                            refresh_token=body["refresh_token"]))
    assert again.status_code == 200


def test_access_tokens_expire(fresh_sandbox, api):
    fresh_sandbox.configure(access_token_ttl_s=60)
    refresh = fresh_sandbox.control("POST", "oauth/grants", {"user_type": "Location"})["refresh_token"]
    token = httpx.post(f"{fresh_sandbox.base_url}/oauth/token", data=oauth_form(
        fresh_sandbox, grant_type="refresh_token", refresh_token=refresh)).json()
    assert token["expires_in"] == 60
    contact_path = f"/contacts/{first_contact_id(fresh_sandbox)}"
    assert api("GET", contact_path, token=token["access_token"]).status_code == 200
    fresh_sandbox.control("POST", "clock", {"advance_s": 61})
    assert_error_shape(api("GET", contact_path, token=token["access_token"]), 401)


def test_authorization_code_and_wrong_client(fresh_sandbox):
    url = f"{fresh_sandbox.base_url}/oauth/token"
    code = fresh_sandbox.control("POST", "oauth/codes", {})["code"]
    assert httpx.post(url, data=oauth_form(fresh_sandbox, grant_type="authorization_code", code=code)).status_code == 200
    assert httpx.post(url, data=oauth_form(fresh_sandbox, grant_type="authorization_code", code=code)).status_code == 400
    wrong = httpx.post(url, data={"client_id": "x", "client_secret": "y", "grant_type": "refresh_token"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_agency_token_is_exchanged_for_a_location_token(fresh_sandbox, api):
    agency = fresh_sandbox.connection("agency")["extra"]
    company = httpx.post(f"{fresh_sandbox.base_url}/oauth/token", data=oauth_form(
        fresh_sandbox, grant_type="refresh_token", refresh_token=agency["refresh_token"])).json()
    assert company["userType"] == "Company"
    contact_path = f"/contacts/{first_contact_id(fresh_sandbox)}"
    assert_error_shape(api("GET", contact_path, token=company["access_token"]), 401)
    exchanged = httpx.post(
        f"{fresh_sandbox.base_url}/oauth/locationToken",
        data={"companyId": fresh_sandbox.company_id, "locationId": fresh_sandbox.location_id},
        headers={"Authorization": f"Bearer {company['access_token']}", "Version": "2021-07-28"},
    )
    assert exchanged.status_code == 200
    location_token = exchanged.json()
    assert location_token["userType"] == "Location" and "refresh_token" not in location_token
    assert api("GET", contact_path, token=location_token["access_token"]).status_code == 200


def test_reset_restores_the_seed(fresh_sandbox, api):
    before = fresh_sandbox.control("GET", "tables/contacts")
    contact_id = before[0]["id"]
    assert api("DELETE", f"/contacts/{contact_id}").status_code == 200
    fresh_sandbox.reset(seed=42, contacts=200)
    after = fresh_sandbox.control("GET", "tables/contacts")
    assert [c["id"] for c in after] == [c["id"] for c in before]


def test_config_rejects_unknown_settings(sandbox):
    response = httpx.patch(f"{sandbox.base_url}/__sandbox__/config", json={"rate_limit": {}})
    assert response.status_code == 400 and "unknown sandbox setting" in response.json()["message"]
