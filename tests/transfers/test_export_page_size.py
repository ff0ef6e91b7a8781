"""GHLExportOperator refuses a page size outside the range the operation's spec allows: at DAG parse for literal
values, after rendering for templated ones, before any request (no ``dag.test()``: the operator is built, rendered
and executed directly)."""

from __future__ import annotations

import pytest

from airflow_provider_ghl.exceptions import GHLInputError
from airflow_provider_ghl.transfers.export import GHLExportOperator
from tests.conftest import task_context

pytestmark = pytest.mark.usefixtures("ghl_connections")

EXPORT = "export_messages_by_location"  # limit from 10 to 500, in v2 and v3


def export(tmp_path, **arguments) -> GHLExportOperator:
    return GHLExportOperator(task_id="messages", operation=EXPORT, path=str(tmp_path / "messages.jsonl"), mode="full",
                             **arguments)


@pytest.mark.parametrize("version", [None, "v3"])
def test_a_literal_page_size_outside_the_range_fails_the_dag_parse(sandbox, tmp_path, version):
    before = sandbox.stats().get("requests", 0)
    form = version or "v2"
    for arguments, refused in (
        ({"page_size": 5}, rf"page_size 5 is below HighLevel's minimum of 10: {EXPORT} \({form}\) takes limit from 10 "
                           r"to 500\. Pass page_size= from 10 to 500, or leave it out"),
        ({"page_size": 1000}, r"page_size 1000 is above HighLevel's maximum of 500"),
        ({"query": {"limit": 9}}, r"query\.limit 9 is below HighLevel's minimum of 10: .*Give query\.limit a value "
                                  r"from 10 to 500"),
    ):
        with pytest.raises(GHLInputError, match=refused):
            export(tmp_path, api_version=version, **arguments)
    export(tmp_path, api_version=version, page_size=10)  # the range's ends are fine
    export(tmp_path, api_version=version, query={"limit": 500})
    assert sandbox.stats().get("requests", 0) == before


def test_a_templated_page_size_is_checked_after_rendering_before_any_request(sandbox, tmp_path):
    operator = export(tmp_path, page_size="{{ params.size }}", query={"limit": "{{ params.limit }}"})  # parses
    operator.render_template_fields({"params": {"size": 5, "limit": 20}})
    assert operator.page_size == "5"
    before = sandbox.stats().get("requests", 0)
    with pytest.raises(GHLInputError, match=r"page_size 5 is below HighLevel's minimum of 10"):
        operator.execute(task_context("messages"))
    operator = export(tmp_path, query={"limit": "{{ params.limit }}"})
    operator.render_template_fields({"params": {"limit": 3}})
    with pytest.raises(GHLInputError, match=r"query\.limit 3 is below HighLevel's minimum of 10"):
        operator.execute(task_context("messages"))
    assert sandbox.stats().get("requests", 0) == before
    assert not list(tmp_path.iterdir())  # no file, not even a partial one


def test_a_rendered_page_size_in_the_range_exports_every_record(sandbox, tmp_path):
    operator = export(tmp_path, page_size="{{ params.size }}")
    operator.render_template_fields({"params": {"size": 10}})
    sandbox.control("DELETE", "stats")
    assert operator.execute(task_context("messages"))["count"] == 21
    assert sandbox.stats()["op:export_messages_by_location"] == 3  # pages of 10: 10 + 10 + 1
