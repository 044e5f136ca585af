"""The browser phone's server: its page, its JSON API over live calls, and its bounds."""

from __future__ import annotations

import threading
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr.errors import PhoneBusy
from ivr.sim.phone.server import CSP, Switchboard, phone_app
from tests.sim.sim_helpers import fake_app, hits, menu_app


class Elements(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def ids(self) -> set[str]:
        return {attrs["id"] for _, attrs in self.tags if "id" in attrs}


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def client_for(target: Flask, **bounds: Any) -> tuple[FlaskClient, Switchboard]:
    switchboard = Switchboard(target, **bounds)
    return phone_app(switchboard, line="test").test_client(), switchboard


def place(client: FlaskClient, number: str = "+14155550100") -> tuple[str, dict[str, Any]]:
    response = client.post("/api/calls", json={"from": number})
    assert response.status_code == 200, response.json
    assert response.json is not None
    return response.json["call"], response.json["turn"]


def test_the_page_has_a_keypad_a_transcript_and_a_say_box(demo_app: Flask) -> None:
    client, _ = client_for(demo_app)
    response = client.get("/")
    assert response.status_code == 200 and response.headers["Content-Security-Policy"] == CSP
    page = Elements(response.get_data(as_text=True))
    keys = [attrs["data-key"] for tag, attrs in page.tags if "data-key" in attrs]
    assert sorted(keys) == sorted("0123456789*#")
    assert {"transcript", "say", "say-button", "silence", "hang-up", "new-call",
            "from", "status"} <= page.ids()
    [script] = [attrs["src"] for tag, attrs in page.tags if tag == "script"]
    code = client.get(script)
    assert code.status_code == 200 and "speechSynthesis" in code.get_data(as_text=True)


def test_a_call_through_the_api(demo_app: Flask) -> None:
    client, switchboard = client_for(demo_app)
    call_id, turn = place(client)
    assert len(call_id) >= 20 and len(switchboard) == 1
    assert {"text": "For the account ending in 1 2 3 4, press 1.", "language": "en-US",
            "prompts": ["option.this_account"]} in turn["heard"]
    assert turn["question"]["num_digits"] == 1 and turn["question"]["speech"] is True
    pin = client.post(f"/api/calls/{call_id}", json={"action": "say", "words": "yes"}).json
    assert pin is not None and pin["turn"]["lines"][0] == 'caller says "yes"'
    assert pin["turn"]["heard"][0]["prompts"] == ["ask.pin"]
    words = client.post(f"/api/calls/{call_id}", json={"action": "say", "words": "2468"})
    assert words.status_code == 400 and "takes keys only" in words.json["error"]  # type: ignore[index]
    client.post(f"/api/calls/{call_id}", json={"action": "press", "keys": "2468"})
    end = client.post(f"/api/calls/{call_id}", json={"action": "hangup"}).json
    assert end is not None and end["turn"]["ended"] is True
    assert (end["turn"]["outcome"], end["turn"]["hangup_by"]) == ("hangup", "caller")
    assert len(switchboard) == 0
    gone = client.post(f"/api/calls/{call_id}", json={"action": "press", "keys": "1"})
    assert gone.status_code == 404


@pytest.mark.parametrize(("body", "error"), [
    ({"action": "dance"}, "no such action 'dance'"),
    ({"action": "press", "keys": "12x"}, "not keypad keys"),
])
def test_a_bad_action_is_refused(body: dict[str, str], error: str) -> None:
    client, _ = client_for(menu_app(input="dtmf"))
    call_id, _turn = place(client)
    response = client.post(f"/api/calls/{call_id}", json=body)
    assert response.status_code == 400 and error in response.json["error"]  # type: ignore[index]


def test_only_json_from_the_page_itself_is_taken() -> None:
    client, switchboard = client_for(menu_app(input="dtmf"))
    form = client.post("/api/calls", data={"from": "+14155550100"})  # another site's form
    assert form.status_code == 415 and len(switchboard) == 0
    rebound = client.post("/api/calls", json={}, headers={"Host": "attacker.example"})
    assert rebound.status_code == 400 and len(switchboard) == 0
    assert client.post("/api/calls", json={"from": "call me"}).status_code == 400
    assert client.post("/api/calls", json=[1]).status_code == 400


def test_calls_are_capped() -> None:
    client, switchboard = client_for(menu_app(input="dtmf"), max_calls=2)
    place(client)
    place(client)
    full = client.post("/api/calls", json={})
    assert full.status_code == 503 and "2 calls are going already" in full.json["error"]  # type: ignore[index]
    with pytest.raises(PhoneBusy):
        switchboard.place()
    switchboard.close()
    assert len(switchboard) == 0
    place(client)


def test_an_idle_call_is_hung_up_and_forgotten() -> None:
    clock = Clock()
    app = menu_app(input="dtmf")
    client, switchboard = client_for(app, idle_seconds=300, clock=clock)
    call_id, _turn = place(client)
    clock.now = 300
    switchboard.sweep()
    assert len(switchboard) == 1
    clock.now = 301
    switchboard.sweep()
    assert len(switchboard) == 0
    assert hits(app)[-1].path == "/voice/status"  # hung up: the call's status was posted
    assert client.post(f"/api/calls/{call_id}", json={"action": "silence"}).status_code == 404


def test_a_line_that_does_not_answer_is_reported() -> None:
    release = threading.Event()

    def slow(_params: dict[str, str]) -> str:
        release.wait(10)
        return "<Response><Hangup/></Response>"

    app = fake_app({"/voice": lambda _params: "<Response><Gather action='/voice/slow'>"
                                             "<Say>Hi</Say></Gather></Response>",
                    "/voice/slow": slow})
    client, switchboard = client_for(app, answer_seconds=2)  # room for a busy CI machine
    call_id, _turn = place(client)
    response = client.post(f"/api/calls/{call_id}", json={"action": "press", "keys": "1"})
    release.set()
    assert response.status_code == 504
    assert "neither asked for input nor ended the call" in response.json["error"]  # type: ignore[index]
    assert len(switchboard) == 0
