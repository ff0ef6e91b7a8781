"""``api_version`` per task on the 124 named classes: checked while the DAG is parsed, sent by the operator, and
kept by a deferred sensor's trigger, so the sandbox sees the version's form (path, query names, header)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from airflow.exceptions import TaskDeferred

from airflow_provider_ghl.exceptions import GHLInputError
from airflow_provider_ghl.operators import contacts as contact_operators
from airflow_provider_ghl.operators import opportunities as opportunity_operators
from airflow_provider_ghl.sensors import contacts as contact_sensors
from airflow_provider_ghl.sensors import opportunities as opportunity_sensors
from airflow_provider_ghl.triggers.ghl import GHLPollTrigger
from tests.conftest import task_context


@pytest.fixture(autouse=True)
def _connections(ghl_connections, cursor_store):
    """The sandbox's Airflow connections (none names an api_version), collection cursors in memory."""


def run(operator: Any) -> Any:
    return operator.execute(task_context(operator.task_id))


def served(sandbox, key: str) -> tuple[int, int]:
    """(requests for ``key``, of which in its v3 form) the sandbox answered so far."""
    stats = sandbox.stats()
    return stats.get(f"op:{key}", 0), stats.get(f"v3:{key}", 0)


def new_contact(api, sandbox, **body: Any) -> str:
    response = api("POST", "/contacts/", json={"locationId": sandbox.location_id, "firstName": "Versions", **body})
    assert response.status_code == 201, response.text
    return response.json()["contact"]["id"]


# -- at parse ---------------------------------------------------------------------------------------------------
def test_a_bad_api_version_is_refused_while_the_dag_is_parsed():
    with pytest.raises(GHLInputError, match=r"api_version 'v4' is not one of HighLevel's API versions") as error:
        contact_sensors.GHLGetContactSensor(task_id="bad", contact_id="c1", api_version="v4")
    assert "'v2'" in str(error.value) and "'v3'" in str(error.value) and "'legacy'" in str(error.value)
    with pytest.raises(GHLInputError, match=r"api_version must be a str"):
        contact_operators.GHLDeleteContactOperator(task_id="bad", contact_id="c1", api_version=3)
    with pytest.raises(GHLInputError, match=r"list_contacts has no v3 form.*api_version='v2'"):
        contact_sensors.GHLListContactsSensor(task_id="gone", api_version="v3")  # v3 dropped GET /contacts/
    for version in ("v2", "v3", "V3", "legacy", "2021-04-15", "{{ params.version }}"):
        contact_operators.GHLDeleteContactOperator(task_id="fine", contact_id="c1", api_version=version)


def test_the_body_is_checked_against_the_chosen_versions_schema():
    body = {"pipelineId": "p1", "name": "Deal", "status": "open", "contactId": "c1", "forecastProbability": 40}
    with pytest.raises(GHLInputError, match="unknown field forecastProbability"):
        opportunity_operators.GHLCreateOpportunityOperator(task_id="v2", body=body)
    opportunity_operators.GHLCreateOpportunityOperator(task_id="v3", body=body, api_version="v3")  # v3 added it
    with pytest.raises(GHLInputError, match="wordCount"):  # v3 requires it on a blog post update
        from airflow_provider_ghl.operators.blogs import GHLUpdateBlogPostOperator

        post = {name: "x" for name in ("title", "blogId", "imageUrl", "description", "rawHTML", "status",
                                       "imageAltText", "author", "urlSlug", "publishedAt")}
        GHLUpdateBlogPostOperator(task_id="post", post_id="p1", body={**post, "categories": []}, api_version="v3")


def test_api_version_is_a_templated_argument_of_every_named_class():
    for cls in (contact_operators.GHLUpsertContactOperator, contact_sensors.GHLSearchContactsSensor,
                opportunity_sensors.GHLGetOpportunitySensor):
        assert "api_version" in cls.template_fields
        assert "api_version: ``v2``, ``v3``" in cls.__doc__


# -- at run time, against the sandbox ------------------------------------------------------------------------------
def test_an_operator_sends_the_form_of_its_api_version(fresh_sandbox, api):
    contact_id = new_contact(api, fresh_sandbox)
    key = "remove_contact_from_all_campaigns"
    v3 = run(contact_operators.GHLRemoveContactFromAllCampaignsOperator(
        task_id="v3", contact_id=contact_id, api_version="v3"))
    assert served(fresh_sandbox, key) == (1, 1)  # v3's DELETE .../campaigns/remove-all, Version: v3
    assert v3["response"]["succeeded"] is True  # v3's spelling (v2 answers only "succeded")
    legacy = run(contact_operators.GHLRemoveContactFromAllCampaignsOperator(
        task_id="legacy", contact_id=contact_id, api_version="legacy"))
    default = run(contact_operators.GHLRemoveContactFromAllCampaignsOperator(task_id="v2", contact_id=contact_id))
    assert served(fresh_sandbox, key) == (3, 1)  # .../removeAll, Version: legacy and 2021-07-28
    assert legacy["response"] == default["response"] == {"succeded": True}


def test_one_record_two_views_through_the_operators(fresh_sandbox, api):
    created = run(contact_operators.GHLCreateContactOperator(
        task_id="create", api_version="v3",
        body={"firstName": "Dnd", "email": "dnd@versions.example", "dndSettings": {"sms": {"status": "active"}}}))
    contact_id = created["contact"]["id"]
    assert created["contact"]["dndSettings"] == {"sms": {"status": "active"}}
    found = run(contact_operators.GHLFindContactOperator(task_id="find", contact_id=contact_id))  # v2
    assert found["contact"]["dndSettings"] == {"SMS": {"status": "active"}}
    found = run(contact_operators.GHLFindContactOperator(task_id="find3", contact_id=contact_id, api_version="v3"))
    assert found["contact"]["dndSettings"] == {"sms": {"status": "active"}}
    assert served(fresh_sandbox, "get_contact") == (2, 1)


async def test_a_deferred_sensor_polls_in_its_api_version(fresh_sandbox, api):
    pipeline = api("GET", "/opportunities/pipelines", params={"locationId": fresh_sandbox.location_id}).json()
    pipeline_id = pipeline["pipelines"][0]["id"]
    sensor = opportunity_sensors.GHLSearchOpportunitiesSensor(
        task_id="deals", query={"pipeline_id": pipeline_id}, watermark="cursor", api_version="v3",
        deferrable=True, poke_interval=0.05)
    context = task_context("deals")
    with pytest.raises(TaskDeferred) as deferral:
        sensor.execute(context)
    _classpath, kwargs = deferral.value.trigger.serialize()
    trigger = GHLPollTrigger(**kwargs)  # as the triggerer rebuilds it
    assert trigger.spec["arguments"]["api_version"] == "v3"
    event = await asyncio.wait_for(anext(trigger.run()), 10)
    assert event.payload["status"] == "done", event.payload
    records = sensor.execute_complete(context, event.payload)
    assert records and {record["pipelineId"] for record in records} == {pipeline_id}
    asked, in_v3 = served(fresh_sandbox, "search_opportunities")
    assert asked == in_v3 >= 1  # every page in v3's form: pipelineId/locationId, Version: v3


def test_the_connections_api_version_counts_when_the_task_names_none(fresh_sandbox, api, monkeypatch):
    import json

    connection = fresh_sandbox.connection("full")
    monkeypatch.setenv("AIRFLOW_CONN_GHL_V3", json.dumps({**connection, "extra": {**connection["extra"],
                                                                                   "api_version": "v3"}}))
    contact_id = new_contact(api, fresh_sandbox)
    run(contact_operators.GHLRemoveContactFromAllCampaignsOperator(task_id="v3", contact_id=contact_id,
                                                                   ghl_conn_id="ghl_v3"))
    run(contact_operators.GHLRemoveContactFromAllCampaignsOperator(task_id="v2", contact_id=contact_id,
                                                                   ghl_conn_id="ghl_v3", api_version="v2"))
    assert served(fresh_sandbox, "remove_contact_from_all_campaigns") == (2, 1)  # the task's choice wins
    before = fresh_sandbox.stats().get("requests", 0)
    sensor = contact_sensors.GHLListContactsSensor(task_id="gone", ghl_conn_id="ghl_v3")  # fine at parse
    with pytest.raises(GHLInputError, match=r"the connection ghl_v3's api_version 'v3': list_contacts has no v3 form"):
        sensor.poke(task_context("gone"))
    assert fresh_sandbox.stats().get("requests", 0) == before


# -- nested keys: a DND channel spelled as the other version spells it -----------------------------------------
V3_FIX = r"`dndSettings.SMS` is v2's spelling; v3 \(api_version='v3'\) names it `dndSettings.sms`"


def test_a_v2_dnd_channel_in_a_v3_body_is_refused_before_any_request(fresh_sandbox, api):
    from airflow_provider_ghl.hooks.ghl import GHLHook

    contact_id = new_contact(api, fresh_sandbox)
    fresh_sandbox.control("DELETE", "stats")
    hook = GHLHook("ghl_default")
    v2_dnd = {"dndSettings": {"SMS": {"status": "active"}}}
    with pytest.raises(GHLInputError, match=V3_FIX) as error:
        hook.call("update_contact", contact_id=contact_id, body=v2_dnd, api_version="v3")
    assert error.value.operation == "update_contact" and "dndSettings.SMS -> dndSettings.sms" in str(error.value)
    with pytest.raises(GHLInputError, match=V3_FIX):
        hook.call("create_contact", body={"firstName": "Dnd", **v2_dnd}, api_version="v3")
    with pytest.raises(GHLInputError, match=r"`dndSettings.sms` is v3's spelling; v2 \(api_version='v2'\) names it "
                                            r"`dndSettings.SMS`"):
        hook.call("update_contact", contact_id=contact_id, body={"dndSettings": {"sms": {"status": "active"}}})
    with pytest.raises(GHLInputError, match=r"`dndSettings.sms.stauts` is not a field of HighLevel's v3 request "
                                            r"schema; v3 \(api_version='v3'\) names it `dndSettings.sms.status`"):
        hook.call("update_contact", contact_id=contact_id, api_version="v3",
                  body={"dndSettings": {"sms": {"stauts": "active"}}})
    assert fresh_sandbox.stats().get("requests", 0) == 0


def test_each_versions_dnd_spelling_goes_through_end_to_end(fresh_sandbox, api):
    from airflow_provider_ghl.hooks.ghl import GHLHook

    hook, contact_id = GHLHook("ghl_default"), new_contact(api, fresh_sandbox)
    fresh_sandbox.control("DELETE", "stats")
    hook.call("update_contact", contact_id=contact_id, body={"dndSettings": {"SMS": {"status": "active"}}})
    assert hook.call("get_contact", contact_id=contact_id)["contact"]["dndSettings"] == {"SMS": {"status": "active"}}
    call = {"call": {"status": "inactive", "message": "ok"}}
    hook.call("update_contact", contact_id=contact_id, api_version="v3", body={"dndSettings": call})
    assert hook.call("get_contact", contact_id=contact_id, api_version="v3")["contact"]["dndSettings"] == call
    created = hook.call("create_contact", api_version="v3", body={"firstName": "Dnd", "email": "dnd3@versions.example",
                                                                  "dndSettings": {"whatsApp": {"status": "active"}}})
    assert created["contact"]["dndSettings"] == {"whatsApp": {"status": "active"}}
    assert served(fresh_sandbox, "update_contact") == (2, 1) and served(fresh_sandbox, "create_contact") == (1, 1)


def test_an_operator_refuses_a_v2_dnd_channel_under_v3_at_parse_and_after_rendering(fresh_sandbox, api):
    with pytest.raises(GHLInputError, match=V3_FIX):
        contact_operators.GHLUpdateContactOperator(task_id="dnd", contact_id="c1", api_version="v3",
                                                   body={"dndSettings": {"SMS": {"status": "{{ params.s }}"}}})
    with pytest.raises(GHLInputError, match=V3_FIX):
        contact_operators.GHLCreateContactOperator(task_id="dnd", api_version="v3",
                                                   body={"firstName": "A", "dndSettings": {"SMS": {"status": "active"}}})
    contact_operators.GHLUpdateContactOperator(task_id="v2", contact_id="c1",  # v2's own spelling, v2's form
                                               body={"dndSettings": {"SMS": {"status": "active"}}})
    from airflow_provider_ghl.operators.generic import GHLRunOperationOperator

    with pytest.raises(GHLInputError, match=V3_FIX):  # the generic class checks the same at parse
        GHLRunOperationOperator(task_id="any", operation="update_contact", api_version="v3",
                                arguments={"contact_id": "c1"}, body={"dndSettings": {"SMS": {"status": "active"}}})
    contact_id = new_contact(api, fresh_sandbox)
    fresh_sandbox.control("DELETE", "stats")
    task = contact_operators.GHLUpdateContactOperator(task_id="late", contact_id=contact_id, api_version="v3",
                                                      body="{{ params.body }}")  # fine at parse
    task.body = {"dndSettings": {"SMS": {"status": "active"}}}  # as Airflow renders it
    with pytest.raises(GHLInputError, match=V3_FIX):
        run(task)
    assert fresh_sandbox.stats().get("requests", 0) == 0
    task.body = {"dndSettings": {"sms": {"status": "active"}}}
    assert run(task)["contact"]["dndSettings"] == {"sms": {"status": "active"}}
