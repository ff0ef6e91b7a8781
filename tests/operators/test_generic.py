"""GHLRunOperationOperator: any catalog key as a task. For the 124 it answers what the named class answers (the
sandbox); for the second tier it sends the spec's request in the chosen version (the hostile server records it);
bad input is refused with nothing sent, at parse for literals and again after rendering."""

from __future__ import annotations

import pytest

from airflow_provider_ghl.exceptions import GHLInputError, GHLUnknownOperationError
from airflow_provider_ghl.operators.contacts import GHLCreateContactOperator, GHLDeleteContactOperator
from airflow_provider_ghl.operators.generic import GHLRunOperationOperator
from airflow_provider_ghl.operators.locations import GHLFindLocationOperator
from tests.conftest import task_context
from tests.hostile import LOCATION_ID, Reply

INVOICE = {"_id": "inv0001", "name": "March", "status": "draft", "total": 120}
ALT = {"altId": LOCATION_ID, "altType": "location"}


def run(operator):
    return operator.execute(task_context(operator.task_id))


# -- the seed: same answers and same checks as the named classes ------------------------------------------------
def test_a_seed_operation_answers_what_the_named_class_answers(fresh_sandbox, ghl_connections):
    named = run(GHLFindLocationOperator(task_id="named"))
    generic = run(GHLRunOperationOperator(task_id="generic", operation="find_location"))
    assert generic == named and named["location"]["id"] == fresh_sandbox.location_id


def test_a_seed_delete_returns_the_named_class_confirmation(fresh_sandbox, ghl_connections):
    contacts = [c["id"] for c in fresh_sandbox.control("GET", "tables/contacts")
                if c.get("locationId") == fresh_sandbox.location_id][:2]
    named = run(GHLDeleteContactOperator(task_id="named", contact_id=contacts[0]))
    generic = run(GHLRunOperationOperator(task_id="generic", operation="delete_contact",
                                          arguments={"contact_id": contacts[1]}))
    assert named["deleted"] is generic["deleted"] is True
    assert generic == {**named, "contact_id": contacts[1]}
    remaining = {c["id"] for c in fresh_sandbox.control("GET", "tables/contacts")}
    assert not remaining & set(contacts)


def test_a_seed_operation_is_checked_exactly_like_its_named_class(fresh_sandbox, ghl_connections):
    before = fresh_sandbox.stats().get("requests", 0)
    with pytest.raises(GHLInputError) as named:
        GHLCreateContactOperator(task_id="named", body={"firstName": "Ada", "nickname": "x"})
    with pytest.raises(GHLInputError) as generic:
        GHLRunOperationOperator(task_id="generic", operation="create_contact", body={"firstName": "Ada", "nickname": "x"})
    assert str(generic.value) == str(named.value) and "nickname" in str(generic.value)
    assert fresh_sandbox.stats().get("requests", 0) == before


# -- the second tier, on the hostile server ----------------------------------------------------------------------
def test_the_location_as_alt_id_comes_from_the_connection(hostile):
    hostile.route("GET", "/invoices/inv0001", Reply(200, INVOICE))
    assert run(GHLRunOperationOperator(task_id="invoice", operation="get_invoice",
                                       arguments={"invoice_id": "inv0001"}, ghl_conn_id="ghl_hostile")) == INVOICE
    (sent,) = hostile.sent()
    assert sent.query == ALT


def test_a_second_tier_read_sends_the_v2_request_and_returns_the_answer(hostile):
    hostile.route("GET", "/invoices/inv0001", Reply(200, INVOICE))
    result = run(GHLRunOperationOperator(task_id="invoice", operation="get_invoice", arguments={"invoice_id": "inv0001"},
                                         query=ALT, ghl_conn_id="ghl_hostile"))
    assert result == INVOICE
    (sent,) = hostile.sent()
    assert (sent.method, sent.path, sent.query, sent.headers["version"]) == \
        ("GET", "/invoices/inv0001", ALT, "2021-07-28")


def test_api_version_v3_sends_the_v3_form(hostile):
    hostile.route("GET", "/invoices/inv0001", Reply(200, INVOICE))
    run(GHLRunOperationOperator(task_id="invoice", operation="get_invoice", arguments={"invoice_id": "inv0001"},
                                query=ALT, api_version="v3", ghl_conn_id="ghl_hostile"))
    (sent,) = hostile.sent()
    assert sent.headers["version"] == "v3" and sent.path == "/invoices/inv0001"


def test_the_connection_api_version_counts_when_the_task_names_none(hostile, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_GHL_HOSTILE_V3", hostile.connection_json(api_version="v3"))
    hostile.route("GET", "/invoices/inv0001", Reply(200, INVOICE))
    run(GHLRunOperationOperator(task_id="invoice", operation="get_invoice", arguments={"invoice_id": "inv0001"},
                                query=ALT, ghl_conn_id="ghl_hostile_v3"))
    assert [r.headers["version"] for r in hostile.sent()] == ["v3"]


def test_a_second_tier_delete_returns_a_confirmation(hostile):
    hostile.route("DELETE", "/invoices/inv0001", Reply(200, {"succeded": True}))
    result = run(GHLRunOperationOperator(task_id="delete", operation="delete_invoice",
                                         arguments={"invoice_id": "inv0001"}, query=ALT, ghl_conn_id="ghl_hostile"))
    assert result == {"deleted": True, "operation": "delete_invoice", "invoice_id": "inv0001",
                      "response": {"succeded": True}}
    assert [r.method for r in hostile.sent()] == ["DELETE"]


@pytest.mark.parametrize(("arguments", "fragment"), [
    ({"operation": "get_invoices"}, "Did you mean"),
    ({"operation": "get_invoice", "arguments": {"invoice_id": "../x"}, "query": ALT}, "invoice_id"),
    ({"operation": "get_invoice", "arguments": {"invoice_id": ".."}, "query": ALT}, "dot segment"),
    ({"operation": "get_invoice", "query": ALT}, "invoice_id"),
    ({"operation": "get_invoice", "arguments": {"invoice_id": "i1", "contact_id": "c1"}, "query": ALT}, "contact_id"),
    ({"operation": "get_all_website_urls_data_by_knowledge_base"}, "knowledgeBaseId"),
    ({"operation": "get_invoice", "arguments": {"invoice_id": "i1"}, "query": {**ALT, "at": {"a": 1}}}, "query.at"),
    ({"operation": "get_invoice", "arguments": {"invoice_id": "i1"}, "query": ALT, "body": {"a": 1}}, "takes no body"),
    ({"operation": "get_invoice", "arguments": {"invoice_id": "i1"}, "query": ALT, "api_version": "v9"}, "api_version"),
    ({"operation": "get_invoice", "arguments": ["i1"], "query": ALT}, "arguments must be a dict"),
])
def test_bad_input_is_refused_at_parse_with_nothing_sent(hostile, arguments, fragment):
    with pytest.raises(GHLInputError) as refused:
        GHLRunOperationOperator(task_id="bad", ghl_conn_id="ghl_hostile", **arguments)
    assert fragment in str(refused.value)
    assert hostile.sent() == []


def test_an_unknown_key_names_the_closest_ones(hostile):
    with pytest.raises(GHLUnknownOperationError, match="get_invoice"):
        GHLRunOperationOperator(task_id="bad", operation="get_invoce")


def test_rendered_values_are_checked_again_before_any_request(hostile):
    operator = GHLRunOperationOperator(task_id="rendered", operation="{{ params.key }}",
                                       arguments={"invoice_id": "{{ params.id }}"}, query=ALT, ghl_conn_id="ghl_hostile")
    operator.operation, operator.arguments = "get_invoice", {"invoice_id": "a/b"}  # what rendering gave
    with pytest.raises(GHLInputError, match="invoice_id"):
        run(operator)
    operator.operation, operator.arguments = "get_invoicez", {"invoice_id": "i1"}
    with pytest.raises(GHLUnknownOperationError, match="get_invoice"):
        run(operator)
    assert hostile.sent() == []


def test_the_operation_is_templated():
    assert {"operation", "arguments", "query", "body", "location_id", "api_version"} <= \
        set(GHLRunOperationOperator.template_fields)


def test_importing_the_generic_classes_leaves_the_second_tier_unread():
    # DAG files import these on every parse: the 660-operation tier loads only when a task names an operation.
    import subprocess
    import sys

    probe = ("import airflow_provider_ghl.operators.generic, airflow_provider_ghl.sensors.generic\n"
             "from airflow_provider_ghl import catalog\n"
             "assert catalog._spec_tier.cache_info().currsize == 0, 'the second tier was read at import'\n")
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_templates_render_into_the_request_and_are_checked_after_rendering(hostile):
    from airflow.sdk import DAG

    hostile.route("GET", "/invoices/i1", Reply(200, INVOICE))
    with DAG("generic_render", schedule=None):
        good, bad = (GHLRunOperationOperator(task_id=name, operation="{{ params.key }}",
                                             arguments={"invoice_id": "{{ params.id }}"}, query=ALT,
                                             api_version="{{ params.version }}", ghl_conn_id="ghl_hostile")
                     for name in ("good", "bad"))
    good.render_template_fields({"params": {"key": "get_invoice", "id": "i1", "version": "v3"}})
    assert run(good) == INVOICE
    bad.render_template_fields({"params": {"key": "get_invoice", "id": "i1/../../contacts", "version": "v3"}})
    with pytest.raises(GHLInputError, match="invoice_id"):
        run(bad)
    assert [(r.path, r.headers["version"]) for r in hostile.sent()] == [("/invoices/i1", "v3")]
