"""A case shows the step names and labels of its own version, not of a newer one deployed since."""
import shutil

from tests.conftest import PACKAGES

RENAMED = """names:
  lane_approver: {en: Budget holder, zh-Hant: 預算負責人}
"""


def deploy_two_versions(runtime, folder):
    """minimal v1, a case on it, then v2 whose approver lane and amount field are named differently."""
    package = folder / "minimal"
    shutil.copytree(PACKAGES / "minimal", package)
    runtime.deploy([package])
    old = runtime.start("minimal", "sales.tseng", {"amount": 1200, "reason": "Printer toner"})
    manifest = package / "process.yaml"
    text = manifest.read_text(encoding="utf-8").replace("label: {en: Amount, zh-Hant: 金額}",
                                                        "label: {en: Sum asked, zh-Hant: 申請金額}")
    manifest.write_text(text + RENAMED, encoding="utf-8")
    runtime.deploy([package])
    new = runtime.start("minimal", "sales.tseng", {"amount": 800, "reason": "Paper"})
    return old, new


def test_a_task_and_case_on_an_older_version_keep_their_own_names(runtime, login, tmp_path):
    old, new = deploy_two_versions(runtime, tmp_path)
    client = login("sales.yeh")
    pages = {}
    for case_id in (old, new):
        task_id = runtime.case(case_id)["tasks"][0]["id"]
        pages[case_id] = (client.get(f"/tasks/{task_id}").get_data(as_text=True),
                          client.get(f"/cases/{case_id}").get_data(as_text=True))
    assert '<span class="muted">(Approver)</span>' in pages[old][0]
    assert '<span class="muted">(Budget holder)</span>' in pages[new][0]
    assert "<dt>Amount</dt>" in pages[old][1] and "Sum asked" not in pages[old][1]
    assert "<dt>Sum asked</dt>" in pages[new][1]
    assert 'name="Budget holder"' not in runtime.case(old, "sales.yeh", "en")["diagram"]["xml"]
    assert 'name="Budget holder"' in runtime.case(new, "sales.yeh", "en")["diagram"]["xml"]
