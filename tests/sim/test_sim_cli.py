"""``ivr call``: interactive keys from stdin, script files and folders, and --url over HTTP."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from ivr.cli.call import call_command
from ivr.config import DEV_AUTH_TOKEN
from ivr.errors import ConfigError
from ivr.sim.callers import parse_keys
from ivr.sim.script import run_script
from ivr.sim.simulator import Action
from ivr.sim.transport import token_from_env
from tests.sim.sim_helpers import TOKEN, hits, menu_app

PASSING = """\
name: Press one
steps:
  - expect: "press 1 to pay"
  - press: "1#"
  - expect: "you entered [1]"
  - expect_end: hangup
"""
FAILING = """\
name: Wrong prompt
steps:
  - expect: "press 2 to pay"
  - press: "2"
"""


def invoke(app: Flask, args: list[str], stdin: str | None = None) -> tuple[int, str]:
    """Run ``ivr call`` in ``app`` and return its exit code and output."""
    result = app.test_cli_runner().invoke(call_command, args, input=stdin)
    return result.exit_code, result.output


def test_interactive_keys_come_from_stdin() -> None:
    app = menu_app()
    code, output = invoke(app, [], stdin="12x\n34#\n")
    assert code == 0
    assert "IVR: Press 1 to pay." in output
    assert "not keypad input: '12x'" in output
    assert "caller presses 34#" in output
    assert "IVR: You entered [34]." in output
    assert [h.path for h in hits(app)] == ["/voice", "/voice/menu", "/voice/status"]


def test_interactive_empty_line_is_silence_and_eof_hangs_up() -> None:
    app = menu_app()
    code, output = invoke(app, ["--from", "+12125550123"], stdin="\n")
    assert code == 0
    assert "caller stays silent" in output
    assert "IVR: We did not hear anything." in output
    assert hits(app)[0].params["From"] == "+12125550123"
    code, output = invoke(menu_app(), [], stdin="")
    assert code == 0
    assert "caller hangs up" in output
    assert "[call ended: hangup" in output


def test_interactive_h_hangs_up() -> None:
    assert parse_keys(" h \n") == Action("hangup")
    assert parse_keys("1 2 #\n") == Action("press", "12#")
    assert parse_keys("\n") == Action("silence")
    assert parse_keys("hello\n") is None


def test_interactive_application_error_exits_1() -> None:
    app = menu_app()
    app.config["TWILIO_AUTH_TOKEN"] = "not-the-token-the-app-checks"
    code, output = invoke(app, [])
    assert code == 1
    assert "HTTP 403" in output


def test_script_file_pass_and_fail(tmp_path: Path) -> None:
    (tmp_path / "pass.yaml").write_text(PASSING)
    (tmp_path / "fail.yaml").write_text(FAILING)
    code, output = invoke(menu_app(), ["--script", str(tmp_path / "pass.yaml")])
    assert (code, output.splitlines()[-1]) == (0, "PASS Press one (4 steps)")
    code, output = invoke(menu_app(), ["--script", str(tmp_path / "fail.yaml")])
    assert code == 1
    assert "FAIL fail.yaml" in output
    assert "- press 2 to pay" in output


def test_script_folder_runs_every_script_and_summarises(tmp_path: Path) -> None:
    (tmp_path / "a_pass.yaml").write_text(PASSING)
    (tmp_path / "b_fail.yaml").write_text(FAILING)
    code, output = invoke(menu_app(), ["--script", str(tmp_path), "--quiet"])
    assert code == 1
    assert "IVR:" not in output.split("FAIL")[0]  # --quiet hides transcripts
    assert "PASS Press one (4 steps)" in output
    assert output.splitlines()[-1] == "1 passed, 1 failed"


def test_malformed_script_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("steps: [dance]\n")
    code, output = invoke(menu_app(), ["--script", str(tmp_path / "bad.yaml")])
    assert code == 2
    assert "step 1: expected 'silence'" in output


@pytest.fixture
def served_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, str]]:
    """The fake IVR on a real HTTP server; the environment holds its token."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    app = menu_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join()


def test_url_transport_signs_requests_the_server_accepts(served_app: tuple[Flask, str]) -> None:
    app, url = served_app
    lines: list[str] = []
    result = run_script(url, {"name": "remote", "today": "2026-11-21",
                              "steps": [{"press": "7#"}, {"expect": "you entered [7]"},
                                        {"expect_sms": "anything"}]}, echo=lines.append)
    assert result.outcome == "hangup"
    assert hits(app)[1].params["Digits"] == "7"
    assert hits(app)[-1].path == "/voice/status"
    assert "warning: IVR_TODAY cannot be applied to a remote server; ignored" in lines
    assert any("expect_sms" in line and "skipped" in line for line in lines)


def test_a_settings_step_at_a_url_is_a_warning_and_ignored(
        served_app: tuple[Flask, str]) -> None:
    app, url = served_app
    lines: list[str] = []
    result = run_script(url, {"name": "remote", "steps": [
        {"expect": "press 1 to pay"}, {"settings": {"IVR_AGENT_NUMBER": "+18005550123"}},
        {"press": "7#"}, {"expect": "you entered [7]"}]}, echo=lines.append)
    assert result.outcome == "hangup"
    warning = "warning: step 2 (settings: IVR_AGENT_NUMBER) cannot be applied to a remote " \
              "server; ignored"
    assert lines.count(warning) == 1
    assert lines.index(warning) < lines.index("caller presses 7#")  # when the step is reached
    assert "IVR_AGENT_NUMBER" not in app.config
    assert lines[-1] == "PASS remote (4 steps)"


def test_url_option_on_the_command_line(served_app: tuple[Flask, str], tmp_path: Path) -> None:
    _app, url = served_app
    (tmp_path / "pass.yaml").write_text(PASSING)
    unrelated = Flask("unrelated")  # --url must not need the local app's webhooks
    code, output = invoke(unrelated, ["--url", url, "--script", str(tmp_path / "pass.yaml")])
    assert (code, output.splitlines()[-1]) == (0, "PASS Press one (4 steps)")


def test_url_without_a_scheme_means_http(served_app: tuple[Flask, str], tmp_path: Path) -> None:
    _app, url = served_app
    (tmp_path / "pass.yaml").write_text(PASSING)
    bare = url.removeprefix("http://")  # "127.0.0.1:PORT", as in `ivr call --url localhost:5000`
    code, output = invoke(Flask("unrelated"), ["--url", bare, "--script",
                                               str(tmp_path / "pass.yaml")])
    assert (code, output.splitlines()[-1]) == (0, "PASS Press one (4 steps)")


def test_url_where_no_server_answers_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "pass.yaml").write_text(PASSING)
    code, output = invoke(Flask("unrelated"), ["--url", f"127.0.0.1:{port}/", "--script",
                                               str(tmp_path / "pass.yaml")])
    assert (code, output) == (1, f"error: no server answers at http://127.0.0.1:{port}\n")


@pytest.mark.parametrize("url", ["ftp://example.com", "http://", ":5000"])
def test_url_that_is_no_http_base_url_is_refused(url: str) -> None:
    code, output = invoke(Flask("unrelated"), ["--url", url])
    assert code == 1
    assert output.startswith("error: --url: not an http(s) base URL") and output.count("\n") == 1


def test_token_from_env_matches_the_server_defaults() -> None:
    assert token_from_env({}) == DEV_AUTH_TOKEN
    assert token_from_env({"TWILIO_AUTH_TOKEN": "abc", "IVR_ENV": "production"}) == "abc"
    with pytest.raises(ConfigError):
        token_from_env({"IVR_ENV": "production"})


def test_a_script_is_played_in_the_language_asked_for(demo_app: Flask) -> None:
    path = Path(__file__).resolve().parents[2] / "fixtures" / "calls" / "bilingual_balance.yaml"
    code, output = invoke(demo_app, ["--script", str(path), "-q", "--language", "es-US"])
    assert code == 0, output
    assert output == "PASS Balance and due date, by prompt id (10 steps, in es-US)\n"
    code, output = invoke(demo_app, ["--language", "es-US"], stdin="")
    assert code == 2 and "--language is for --script" in output
