"""The line as a user installs it: a wheel built from the checkout, in a fresh virtualenv.

The wheel is installed into a new virtualenv outside the checkout, which borrows only the
third-party dependencies of the project's own virtualenv (a ``.pth`` file), never the
checkout. From a directory that is not the checkout, as the README's quick start does, its
``ivr serve`` loads the demo accounts from the package and serves a call to ``ivr call --url``;
then its ``ivr call`` replays every script in ``fixtures/calls``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.server_helpers import free_port, wait_until_healthy

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "fixtures" / "calls"
# What the build does not need: environments, caches, build output, local databases.
NOT_SOURCE = shutil.ignore_patterns(".venv", "venv", ".git", "build", "dist", "*.egg-info",
                                    "__pycache__", "instance", ".*_cache", ".hypothesis")
# The date the call scripts are written for (they set it in-process; a server needs it too).
TODAY = "2026-11-21"


def run(args: list[str | Path], cwd: Path, env: dict[str, str],
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; fail the test, showing its output, if it fails."""
    result = subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{args} exited {result.returncode}:\n{result.stdout}\n" \
                                   f"{result.stderr}"
    return result


def clean_env() -> dict[str, str]:
    """This environment without the line's settings or anything that steers Python's path."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("IVR_", "TWILIO_", "PYTHON", "FLASK_", "VIRTUAL_ENV"))}
    return {**env, "IVR_TODAY": TODAY}


def build_wheel(tmp: Path, env: dict[str, str]) -> Path:
    """A wheel built from a copy of the checkout (so the build leaves nothing in it)."""
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    run([sys.executable, "-m", "pip", "wheel", source, "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", tmp / "dist"], cwd=tmp, env=env)
    [wheel] = (tmp / "dist").glob("*.whl")
    return wheel


def install_in_fresh_venv(tmp: Path, wheel: Path, env: dict[str, str]) -> Path:
    """A new virtualenv holding the wheel; dependencies come from this project's virtualenv."""
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp, env=env)
    python = venv / "bin" / "python"
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                  cwd=tmp, env=env).stdout.strip()
    # A path line only: the .pth files over there (the editable install of the checkout) are
    # not processed, so the checkout stays off sys.path.
    (Path(purelib) / "project_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    # pip (borrowed the same way) runs as the new interpreter, so it installs there, with
    # console scripts that start it; --ignore-installed: never touch the project's install.
    run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "-q",
         wheel], cwd=tmp, env=env)
    return venv


def assert_checkout_unused(venv: Path, cwd: Path, env: dict[str, str]) -> None:
    """The installed modules are the wheel's, and the checkout is not on sys.path.

    The checkout's ``app.py`` (for ``flask --app app``) is not installed: a module named
    ``app`` in site-packages would shadow users' own.
    """
    probe = ("import json, sys, importlib.util, flows, ivr, models; "
             "print(json.dumps([[m.__file__ for m in (flows, ivr, models)], sys.path, "
             "importlib.util.find_spec('app') is None]))")
    files, path, no_app = json.loads(run([venv / "bin" / "python", "-c", probe], cwd=cwd,
                                         env=env).stdout)
    assert no_app
    assert all(Path(file).is_relative_to(venv) for file in files), files
    assert str(ROOT) not in path  # ("" is the working directory, which is not the checkout)


def serve_one_call(venv: Path, cwd: Path, env: dict[str, str]) -> str:
    """``ivr serve`` on its default database; one scripted call over HTTP; the server's log."""
    port = free_port()
    log = cwd / "serve.log"
    with log.open("w", encoding="utf-8") as err:
        server = subprocess.Popen([str(venv / "bin" / "ivr"), "serve", "--port", str(port),
                                   "--workers", "1"], cwd=cwd, env=env,
                                  stdout=subprocess.DEVNULL, stderr=err)
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}")
            call = run([venv / "bin" / "ivr", "call", "--url", f"127.0.0.1:{port}", "-q",
                        "--script", SCRIPTS / "pay_full_balance.yaml"], cwd=cwd, env=env)
        finally:
            server.terminate()
            server.wait(30)
    last = call.stdout.splitlines()[-1]
    assert last.startswith("PASS Caller ID match, PIN, the balance, pay all of it"), call.stdout
    return log.read_text(encoding="utf-8")


def test_a_wheel_installed_outside_the_checkout_serves_and_replays(tmp_path: Path) -> None:
    env = clean_env()
    venv = install_in_fresh_venv(tmp_path, build_wheel(tmp_path, env), env)
    work = tmp_path / "elsewhere"
    work.mkdir()
    assert_checkout_unused(venv, work, env)
    ivr = venv / "bin" / "ivr"

    assert run([ivr, "--version"], cwd=work, env=env).stdout == \
        f"ivr {version('ivr-paybyphone')}\n"
    log = serve_one_call(venv, work, env)
    database = venv / "var" / "ivr-instance" / "ivr.sqlite3"
    assert "loaded the demo accounts" in log
    assert "listening on http://127.0.0.1:" in log and f"database sqlite:///{database}" in log
    assert database.is_file() and not (work / "instance").exists()

    replay = run([ivr, "call", "--script", SCRIPTS, "-q"], cwd=work, env=env, timeout=900)
    scripts = len(list(SCRIPTS.glob("*.yaml")))
    assert replay.stdout.splitlines()[-1] == f"{scripts} passed, 0 failed"
