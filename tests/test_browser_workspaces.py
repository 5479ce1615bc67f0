"""Switching workspaces in a real browser: the app serving the shop, a clinic and a library (tests/fixtures/
workspaces/, copied into its data dir as a team's own workspaces) and the shipped bank, opened with
?workspace=testclinic, switched with the dropdown, and each workspace asked a question it answers from its own
documents. The same app's API takes the workspace too. The bank's card-status question, in English and Chinese."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import RunningApp
from tests.test_browser import SHOTS, _bot_texts, _open, _send, browser  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "workspaces"


@pytest.fixture(scope="module")
def workspaces_app(tmp_path_factory, model_cache_dir):
    data_dir = tmp_path_factory.mktemp("kefu-ws-app")
    for name in ("testclinic", "library"):
        shutil.copytree(FIXTURES / name, data_dir / "workspaces" / name)
    app = RunningApp(data_dir, model_cache_dir, extra_env={"KEFU_WORKSPACES": "shop,testclinic,library,bank",
                                                           "KEFU_SPEECH_ENABLED": "false"})
    try:
        app.start(timeout=900)
    except BaseException:  # not ready in time: the process must not outlive the test
        app.stop()
        raise
    yield app
    app.stop()


def _wait_for_answer(page, needle: str, before: int, timeout: float = 180) -> str:
    """The newest bot message (after the first `before` ones) once it contains `needle`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        texts = _bot_texts(page)
        if len(texts) > before and needle.lower() in texts[-1].lower():
            return texts[-1]
        time.sleep(0.2)
    raise AssertionError(f"no bot message with {needle!r}: {_bot_texts(page)[-2:]}")


def _switch(page, label: str) -> None:
    page.locator("#kefu-workspace input").click()
    page.get_by_role("option", name=label).click()


def test_switch_workspaces_and_ask_each_one(workspaces_app, browser):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = _open(browser, workspaces_app.local_url + "?workspace=testclinic")
    try:
        # typed at once: the box opens only when the page has loaded the clinic (a message sent before went to the
        # shop and came back with the shop's welcome)
        _send(page, "What are your opening hours on Saturday?")
        clinic = _wait_for_answer(page, "13:00", before=1)
        assert "9:00" in clinic
        chat = page.locator("#kefu-chatbot").inner_text()
        assert "Welcome to the Maple Test Clinic" in chat and "kefu's assistant" not in chat
        page.screenshot(path=str(SHOTS / "workspace-clinic.png"), full_page=True)

        _switch(page, "Riverside Test Library")
        page.wait_for_function("document.querySelector('#kefu-chatbot').innerText.includes('Riverside')",
                               timeout=30_000)
        assert "Maple" not in page.locator("#kefu-chatbot").inner_text()  # a new conversation
        _send(page, "How long can I borrow a book?")
        library = _wait_for_answer(page, "21 days", before=1)
        assert "13:00" not in library

        _switch(page, "kefu Demo Shop")
        # typed at once: the message goes to the business the dropdown shows, even before the switch event has run
        # (it once reached the library and came back with its answer)
        _send(page, "How long do refunds take?")
        shop = _wait_for_answer(page, "Sources", before=1)
        assert "business days" in shop and "21 days" not in shop
        chat = page.locator("#kefu-chatbot").inner_text()
        assert "kefu's assistant" in chat and "Riverside" not in chat  # the shop's own new conversation
        page.screenshot(path=str(SHOTS / "workspace-shop.png"), full_page=True)
    finally:
        context.close()
    client = workspaces_app.client()
    status = client.predict(api_name="/status")
    assert status["workspaces"] == ["shop", "testclinic", "library", "bank"]
    answer = client.predict("Are you open on Sunday?", "", "testclinic", api_name="/chat")
    assert "closed on Sundays" in answer["reply"] or "Sunday" in answer["reply"], answer["reply"]
    emergency = client.predict("I have chest pain", "", "testclinic", api_name="/chat")
    assert "911" in emergency["reply"] and emergency["status"] == "waiting"
    queue = client.predict("", "testclinic", api_name="/conversations")["conversations"]
    ids = {c["conversation_id"] for c in queue}
    assert answer["conversation_id"] in ids and emergency["conversation_id"] in ids
    assert all(c["workspace"] == "testclinic" for c in queue)
    docs = {d["doc_id"] for d in client.predict("library", api_name="/kb_documents")}
    assert docs == {"kb/loans.md"}


@pytest.mark.parametrize("locale, welcome, question, asks, shown", [
    ("en-US", "Harbor Credit Union", "Is my card frozen?", "verify", "credit card ending 9012 (frozen)"),
    ("zh-CN", "港湾信用合作社", "我的卡被冻结了吗？", "验证", "尾号 9012 的信用卡（已冻结）"),
])
def test_bank_card_status_question_lists_the_cards(workspaces_app, browser, locale, welcome, question, asks,  # noqa: F811
                                                   shown):
    """"Is my card frozen?" is a question about the cards: after verification the chat lists them with their status
    and changes nothing (it once started the freeze flow); a reply of numbers keeps the conversation's language."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = _open(browser, workspaces_app.local_url + "?workspace=bank", locale=locale)
    try:
        page.wait_for_function(f"document.querySelector('#kefu-chatbot').innerText.includes('{welcome}')",
                               timeout=60_000)  # the bank's own welcome: the page has loaded the workspace
        # the switcher names the businesses in the page's language
        assert page.locator("#kefu-workspace input").input_value() == welcome
        _send(page, question)
        _wait_for_answer(page, asks, before=1, timeout=400)  # the bank's first question may wait for its intents
        _send(page, "31570922 1979-11-03 5566")
        cards = _wait_for_answer(page, shown, before=2)
        assert "5566" in cards and ("Please confirm" not in cards and "请确认" not in cards)
        page.screenshot(path=str(SHOTS / f"workspace-bank-card-status-{locale}.png"), full_page=True)
    finally:
        context.close()
