"""A procedure's SOP is read from the version that runs: its steps in flow order with roles, due times and
escalations, its forms' fields, its decision tables and timers; only its starters, supervisors and owner read it."""
import pytest

from engine.errors import NotFound
from tests.conftest import PROCESSES


def test_procurement_sop_lists_its_steps_in_flow_order_with_roles_due_times_and_escalations(procurement):
    """The department head approves first, in two days, escalating to their manager; Finance pays last."""
    sop = procurement.sop("procurement", "sales.lu")
    keys = [step["bpmn_id"] for step in sop["steps"]]
    assert keys[0] == "approve_department_head"
    assert keys.index("approve_finance") < keys.index("list_suppliers") < keys.index("pay_invoice")
    head = sop["steps"][0]
    assert head["title"] == {"en": "Approve purchase request (department head)", "zh-Hant": "核准採購申請（部門主管）"}
    assert (head["lane"], head["role"], head["due"]) == ("Department head", "department-head", "P2D")
    assert head["escalate_to"] == "manager_of(assignee)" and head["exclude"] == ["starter"]
    assert sop["role_names"]["department-head"] == {"en": "Department head", "zh-Hant": "部門主管"}
    decision = head["form"]["fields"][0]
    assert (decision["path"], decision["kind"], decision["required"]) == ("head_decision", "radio", True)
    assert decision["choices"][1] == {"en": "Reject", "zh-Hant": "退回"}
    assert "Approve if the purchase is needed" in head["form"]["instructions"]["en"]
    pay = next(step for step in sop["steps"] if step["bpmn_id"] == "pay_invoice")
    assert pay["separate_from"] == ["approve_finance"]
    assert (sop["owner_role"], sop["start_roles"], sop["active"]) == ("procurement", ["employee"], True)


def test_procurement_sop_carries_the_approval_routing_table_rule_by_rule(procurement):
    """The DMN table as the engine parsed it: its columns and its four rules, each a row of cells."""
    [table] = procurement.sop("procurement", "sales.lu")["decisions"]
    assert (table["step"], table["hit_policy"]) == ("decide_approval_route", "UNIQUE")
    assert [column["label"] for column in table["inputs"]] == ["Total amount (TWD)", "Category"]
    assert [column["name"] for column in table["outputs"]] == ["needs_ops_approval", "needs_finance_approval",
                                                               "approval_route"]
    assert len(table["rules"]) == 4
    assert table["rules"][0]["inputs"] == ["< 50000", '!= "services"']
    assert table["rules"][0]["outputs"] == ["False", "False", '"head"']


def test_a_start_form_fields_nested_rows_keep_their_depth_and_limits(procurement):
    """Line items are a group whose quantity is a nested whole number."""
    fields = {field["path"]: field for field in procurement.sop("procurement", "sales.lu")["start_form"]["fields"]}
    assert fields["items"]["kind"] == "group" and fields["items"]["depth"] == 0
    assert fields["items/quantity"]["kind"] == "integer" and fields["items/quantity"]["depth"] == 1
    assert fields["title"]["required"] is True


def test_a_confidential_procedure_sop_is_for_its_starters_and_supervisors_only(runtime):
    """Performance reviews: HR reads it (steps of the per-employee subprocess included, its reply timer too);
    an employee outside HR is told the procedure does not exist."""
    runtime.deploy([PROCESSES / "performance-review"])
    sop = runtime.sop("performance-review", "hr.yang")
    assert sop["confidential_roles"] == ["hr"]
    assert [step["bpmn_id"] for step in sop["steps"]][0] == "self_assess"
    assert sop["steps"][-1]["bpmn_id"] == "close_cycle"
    assert sop["timers"][0]["expression"] == "P7D" and sop["timers"][0]["attached_to"] == "respond_to_review"
    with pytest.raises(NotFound):
        runtime.sop("performance-review", "sales.lu")


def test_an_sop_of_an_older_version_or_an_unknown_one(procurement):
    """A deployed version is read on request; one that was never deployed is NotFound; so is an unknown procedure."""
    assert procurement.sop("procurement", "sales.lu", version=1)["version"] == 1
    with pytest.raises(NotFound):
        procurement.sop("procurement", "sales.lu", version=9)
    with pytest.raises(NotFound):
        procurement.sop("no-such-thing", "sales.lu")
