"""The `opsflow` command end to end, each call in a new process, on a temporary database."""
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ORG_FILE, PACKAGES


@pytest.fixture
def cli(tmp_path):
    """Run `opsflow ARGS` against a fresh SQLite file; return (exit code, stdout, stderr)."""
    env = dict(os.environ, OPSFLOW_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", OPSFLOW_PASSWORD_HASH_COST="16")

    def run(*args, database_url=None):
        call_env = dict(env, OPSFLOW_DATABASE_URL=database_url) if database_url else env
        done = subprocess.run([sys.executable, "-m", "webui.cli", *map(str, args)], env=call_env, capture_output=True,
                              text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr

    return run


def ok(result):
    """Assert success and return stdout."""
    code, out, err = result
    assert code == 0, err
    return out


def test_commands_work_end_to_end(cli):
    assert "database ready" in ok(cli("init"))
    assert "users" in ok(cli("org", "load", ORG_FILE))
    assert "expense: ok" in ok(cli("validate", PACKAGES / "expense"))
    assert "expense: version 1 deployed" in ok(cli("deploy", PACKAGES / "expense"))
    assert "expense: version 1 unchanged" in ok(cli("deploy", PACKAGES / "expense"))
    users = json.loads(ok(cli("users", "--json")))
    assert {"username": "sales.yeh", "manager": "ceo.lee"}.items() <= next(
        u for u in users if u["username"] == "sales.yeh").items()
    case = int(ok(cli("start", "expense", "--as", "sales.tseng", "--data",
                      json.dumps({"purpose": "Taxi fare", "amount": 300}))))
    tasks = json.loads(ok(cli("tasks", "--as", "sales.yeh", "--json")))
    assert [(t["case_id"], t["task_key"]) for t in tasks] == [(case, "approve")]
    task_id = tasks[0]["id"]
    assert "reassigned" in ok(cli("reassign", task_id, "--as", "ops.wang", "--to", "sales.yeh"))
    detail = json.loads(ok(cli("task", task_id, "--as", "sales.yeh", "--json")))
    assert detail["schema"]["properties"]["decision"]["enum"] == ["approve", "reject"]
    assert "300" in detail["instructions"]
    assert "completed" in ok(cli("complete", task_id, "--as", "sales.yeh", "--data", '{"decision": "approve"}'))
    view = json.loads(ok(cli("instance", case, "--json")))
    assert view["status"] == "running" and "approve" in view["path"]
    assert "fired 0 timers" in ok(cli("worker", "--once"))
    assert "cancelled" in ok(cli("cancel", case, "--as", "sales.tseng", "--reason", "test"))


def test_validate_lists_every_problem_on_its_own_line(cli, tmp_path):
    import shutil

    broken = tmp_path / "expense"
    shutil.copytree(PACKAGES / "expense", broken)
    manifest = broken / "process.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("due: P2D", "due: 2 days")
                        .replace("due: P3D", "due: soon"), encoding="utf-8")
    code, _, err = cli("validate", broken)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 3 and lines[-1] == "2 problem(s) found"
    assert all(line.startswith("expense/process.yaml:") for line in lines[:2])


def test_errors_exit_non_zero_with_one_line(cli):
    ok(cli("init"))
    ok(cli("org", "load", ORG_FILE))
    ok(cli("deploy", PACKAGES / "expense"))
    code, _, err = cli("start", "expense", "--as", "sales.tseng", "--data", '{"amount": "a lot"}')
    assert code == 2 and len(err.strip().splitlines()) == 1 and "purpose" in err and "amount" in err
    code, _, err = cli("complete", "00000000-0000-0000-0000-000000000000", "--as", "sales.yeh")
    assert code == 1 and err.startswith("error (not_found)")
    code, _, err = cli("start", "expense", "--as", "nobody")
    assert code == 1 and err == "error (not_found): no such user: nobody; `opsflow users` lists them\n"
    code, out, err = cli("tasks", "--as", "nobody")
    assert code == 1 and out == "" and "no such user: nobody" in err


def one_line_error(result, kind):
    """Assert a non-zero exit with exactly one `error (kind): ...` line and no traceback; return the line."""
    code, out, err = result
    assert code != 0 and out == "" and err.count("\n") == 1 and err.startswith(f"error ({kind}): "), (code, err)
    return err


def test_version_is_printed(cli):
    assert ok(cli("--version")).startswith("opsflow 0.1")


@pytest.mark.parametrize("args", [("users",), ("tasks", "--as", "sales.yeh"), ("deploy", PACKAGES / "expense"),
                                  ("org", "load", ORG_FILE), ("start", "expense", "--as", "sales.tseng"),
                                  ("instance", "1"), ("worker", "--once"), ("serve", "--port", "1")])
def test_commands_on_an_uninitialised_database_say_run_init(cli, args):
    assert "run `opsflow init`" in one_line_error(cli(*args), "uninitialised")


@pytest.mark.parametrize(("url", "kind", "words"), [
    ("postgresql+psycopg://nobody@127.0.0.1:1/none", "database", "Connection refused"),
    ("not a database url", "config", "is not a database URL"),
    ("nosuchdb+driver://host/db", "config", "unknown database driver 'nosuchdb+driver'"),
])
def test_a_bad_database_url_is_one_line_with_the_fix(cli, url, kind, words):
    for args in (("init",), ("users",), ("serve", "--port", "1")):
        line = one_line_error(cli(*args, database_url=url), kind)
        assert words in line and ("OPSFLOW_DATABASE_URL" in line or "postgresql+psycopg://" in line)


def test_a_sqlite_file_in_a_missing_folder_is_refused_not_created(cli, tmp_path):
    missing = tmp_path / "typo" / "opsflow.db"
    line = one_line_error(cli("init", database_url=f"sqlite:///{missing}"), "config")
    assert "does not exist" in line and not missing.parent.exists()


def test_cli_times_carry_the_organisations_zone(cli):
    ok(cli("init"))
    ok(cli("org", "load", ORG_FILE))
    ok(cli("deploy", PACKAGES / "expense"))
    case = ok(cli("start", "expense", "--as", "sales.tseng", "--data", '{"purpose": "Taxi", "amount": 300}')).strip()
    assert " +0800  " in ok(cli("tasks", "--as", "sales.yeh"))  # due ... +0800 (OPSFLOW_TIMEZONE Asia/Taipei)
    assert " +0800  case_started" in ok(cli("instance", case))
    assert json.loads(ok(cli("instance", case, "--json")))["started_at"].endswith("+08:00")


def test_tasks_waiting_for_named_people_say_who_may_take_them(cli):
    ok(cli("init"))
    ok(cli("org", "load", ORG_FILE))
    ok(cli("deploy", PACKAGES / "expense"))
    # ceo.lee has no manager: the approval waits for the other department heads, by name, not for the role.
    ok(cli("start", "expense", "--as", "ceo.lee", "--data", '{"purpose": "Taxi", "amount": 300}'))
    heads = "fin.kuo,hr.liu,it.chang,ops.wang,proc.hsieh,sales.yeh,wh.chiu"
    line = ok(cli("tasks", "--as", "fin.kuo")).splitlines()[0]
    assert f" people:{heads} " in line and "role:" not in line
    task_id = line.split()[0]
    assert f" people:{heads} " in ok(cli("task", task_id, "--as", "fin.kuo")).splitlines()[0]
    ok(cli("start", "expense", "--as", "sales.tseng", "--data", '{"purpose": "Taxi", "amount": 300}'))
    assert " sales.yeh " in ok(cli("tasks", "--as", "sales.yeh"))


def test_incidents_are_listed_and_retried_by_a_supervisor_once(cli, tmp_path, clock):
    from tests.test_incidents import held_case

    runtime = held_case(f"sqlite:///{tmp_path / 'cli.db'}", clock, tmp_path)
    runtime.db.dispose()
    assert ok(cli("incidents", "--process", "expense")).strip() == "no open incidents"
    line, = ok(cli("incidents")).splitlines()
    incident_id, case = line.split()[1], line.split()[3]
    assert " wait v1 " in line and "bpmn timer" in line and "+0800" in line and "[end]" in line
    [row] = json.loads(ok(cli("incidents", "--json")))
    assert (row["id"], row["case_id"]) == (int(incident_id), int(case))
    code, _, err = cli("incident", "retry", case, incident_id, "--as", "ops.lin")
    assert code == 1 and err == "error (forbidden): ops.lin does not supervise wait, so may not retry its incidents\n"
    assert f"incident {incident_id} of case {case} retried" in ok(cli("incident", "retry", case, incident_id,
                                                                     "--as", "ops.wang"))
    code, _, err = cli("incident", "retry", case, incident_id, "--as", "ops.wang")
    assert code == 1 and err.startswith("error (conflict): ") and len(err.splitlines()) == 1
    assert ok(cli("incidents")).strip() == "no open incidents"


def test_case_shows_a_case_and_instance_its_old_name_does_the_same(cli):
    ok(cli("init"))
    ok(cli("org", "load", ORG_FILE))
    ok(cli("deploy", PACKAGES / "expense"))
    case = ok(cli("start", "expense", "--as", "sales.tseng", "--data", '{"purpose": "Taxi", "amount": 300}')).strip()
    text = ok(cli("case", case))
    assert text.startswith(f"case {case}  expense v1  running  started by sales.tseng")
    assert ok(cli("instance", case)) == text
    as_starter = ("--as", "sales.tseng", "--json")
    assert json.loads(ok(cli("case", case, *as_starter))) == json.loads(ok(cli("instance", case, *as_starter)))
    assert one_line_error(cli("case", "999"), "not_found") == one_line_error(cli("instance", "999"), "not_found")


def test_help_names_case_and_keeps_instance_out_of_the_list(cli):
    commands = ok(cli("--help")).split("Commands:")[1].split()
    assert "case" in commands and "instance" not in commands
    case_help, instance_help = ok(cli("case", "--help")), ok(cli("instance", "--help"))
    assert "[OPTIONS] CASE\n" in case_help and "--as USER" in case_help and "--json" in case_help
    assert instance_help.split("\n", 1)[1] == case_help.split("\n", 1)[1]  # only the usage line names the alias
    assert "[OPTIONS] CASE\n" in ok(cli("cancel", "--help"))
    code, _, err = cli("cases", "1")
    assert code == 2 and "No such command 'cases'" in err


def test_tokens_are_made_listed_and_revoked_and_the_secret_is_printed_once(cli):
    ok(cli("init"))
    ok(cli("org", "load", ORG_FILE))
    code, secret, err = cli("token", "create", "sales.tseng", "build server", "--expires-in-days", "30")
    assert code == 0 and secret.startswith("opf_") and len(secret.splitlines()) == 1
    assert err.startswith("token 1 'build server' of sales.tseng made; its secret follows")
    secret = secret.strip()
    line = ok(cli("token", "list", "sales.tseng"))
    assert line.startswith(f"token 1     {secret[:12]}...  build server  made ") and " expires 20" in line
    assert secret not in line and "last used -" in line
    [row] = json.loads(ok(cli("token", "list", "sales.tseng", "--json")))
    assert (row["id"], row["name"], row["expired"]) == (1, "build server", False) and secret not in str(row)
    code, _, err = cli("token", "revoke", "sales.lu", "1")
    assert code == 1 and err.startswith("error (not_found): no API token 1 of yours")
    assert ok(cli("token", "revoke", "sales.tseng", "1")) == "token 1 of sales.tseng revoked\n"
    assert ok(cli("token", "list", "sales.tseng")) == "sales.tseng has no API tokens\n"
    code, _, err = cli("token", "create", "sales.tseng", " ")
    assert code != 0 and "name" in err and len(err.splitlines()) == 1
    code, _, err = cli("token", "create", "nobody", "ci")
    assert code == 1 and err.startswith("error (not_found): ")
    code, _, err = cli("token", "create", "sales.tseng", "ci", "--expires-in-days", "0")
    assert code == 2 and "--expires-in-days" in err
