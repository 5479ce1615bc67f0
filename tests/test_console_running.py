"""Operator takeover and protected mode through the running app, with separate gradio_client sessions."""
from __future__ import annotations

import base64
import subprocess
import sys

import pytest
from gradio_client import Client

from tests.conftest import ROOT, RunningApp


def test_customer_to_agent_and_back(running_app):
    customer, agent = running_app.client(), running_app.client()
    first = customer.predict("Hello", "", api_name="/chat")
    cid = first["conversation_id"]
    assert customer.predict(cid, api_name="/request_human")["status"] == "waiting"
    waiting = agent.predict("waiting", api_name="/conversations")["conversations"]
    assert cid in [c["conversation_id"] for c in waiting]
    assert agent.predict(cid, api_name="/claim")["status"] == "human"
    # the bot stays silent while a person owns the conversation
    silent = customer.predict("Are you a real person?", cid, api_name="/chat")
    assert silent["reply"] == "" and silent["status"] == "human"
    agent.predict(cid, "Hi, this is Alice from the support team.", api_name="/agent_reply")
    polled = customer.predict(cid, 0, api_name="/poll")["messages"]
    assert polled[-1]["role"] == "agent" and "Alice" in polled[-1]["text"]
    transcript = agent.predict(cid, api_name="/conversation")
    assert [m["role"] for m in transcript["messages"]][-3:] == ["bot", "customer", "agent"] or \
        [m["role"] for m in transcript["messages"]][-2:] == ["customer", "agent"]
    assert agent.predict(cid, api_name="/hand_back")["status"] == "bot"
    answer = customer.predict("How long do refunds take?", cid, api_name="/chat")
    assert answer["reply"].strip() and answer["trace"]["policy"]["action"] != "human_owned"
    bot_id = answer["bot_message_id"]
    assert customer.predict(cid, bot_id, 1, api_name="/feedback")["rating"] == 1
    assert customer.predict(cid, 4, api_name="/rate")["csat"] == 4


@pytest.fixture(scope="module")
def protected_app(tmp_path_factory, model_cache_dir):
    data = tmp_path_factory.mktemp("protected-data")
    env_cmd = [sys.executable, str(ROOT / "app.py"), "agents", "add", "alice", "--password-stdin"]
    done = subprocess.run(env_cmd, input="wonderland-42\n", text=True, capture_output=True, cwd=ROOT,
                          env={**__import__("os").environ, "KEFU_DATA_DIR": str(data)})
    assert done.returncode == 0, done.stderr
    app = RunningApp(data, model_cache_dir).start()
    yield app
    app.stop()


def test_protected_mode_refuses_agent_calls_without_login(protected_app):
    anonymous = protected_app.client()
    assert anonymous.predict(api_name="/status")["protected"] is True
    r = anonymous.predict("Hello", "", api_name="/chat")  # the customer chat stays public
    cid = r["conversation_id"]
    for api, args in (("/conversations", ("",)), ("/conversation", (cid,)), ("/claim", (cid,)),
                      ("/agent_reply", (cid, "hi")), ("/hand_back", (cid,)), ("/resolve", (cid,))):
        with pytest.raises(Exception, match="agent login"):
            anonymous.predict(*args, api_name=api)
    wrong = Client(protected_app.local_url, verbose=False,
                   headers={"Authorization": "Basic " + base64.b64encode(b"alice:not-it").decode()})
    with pytest.raises(Exception, match="agent login"):
        wrong.predict("", api_name="/conversations")
    good = Client(protected_app.local_url, verbose=False,
                  headers={"Authorization": "Basic " + base64.b64encode(b"alice:wonderland-42").decode()})
    assert cid in [c["conversation_id"] for c in good.predict("", api_name="/conversations")["conversations"]]
    # a session that logs in through /login is an agent for its later calls
    session = protected_app.client()
    assert session.predict("alice", "wonderland-42", api_name="/login")["agent"] == "alice"
    assert session.predict(cid, api_name="/claim")["assigned_agent"] == "alice"


def test_customer_cannot_read_a_guessed_conversation(protected_app):
    customer = protected_app.client()
    mine = customer.predict("Hello", "", api_name="/chat")["conversation_id"]
    assert customer.predict(mine, 0, api_name="/poll")["messages"]
    for guess in ("c_0000000000000000", mine[:-1] + ("0" if mine[-1] != "0" else "1"), "' OR 1=1 --"):
        with pytest.raises(Exception, match="No such conversation"):
            customer.predict(guess, 0, api_name="/poll")
