"""The app in a real browser: Playwright driving Debian's headless Chromium against the running app.

Screenshots of each tab go to test-artifacts/screenshots/."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI: `make test` installs Debian's chromium package")
        pytest.skip("Debian's chromium is not installed (make test installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, url, locale="en-US"):
    """A page in `locale`; the chat opens with a welcome message, so a first answer makes three messages."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#kefu-chat-input textarea", timeout=60_000)
    return context, page


def _send(page, text):
    box = page.locator("#kefu-chat-input textarea")
    box.fill(text)
    box.press("Enter")


def _bot_texts(page):
    return page.locator("#kefu-chatbot .message.bot, #kefu-chatbot [data-testid='bot']").all_inner_texts()


def test_chat_streams_and_cites_sources(running_app, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = _open(browser, running_app.local_url)
    try:
        _send(page, "Which orders can be returned?")
        lengths = []
        deadline = time.time() + 120
        while time.time() < deadline:
            texts = _bot_texts(page)
            if texts:
                lengths.append(len(texts[-1]))
                if "Sources" in texts[-1]:
                    break
            time.sleep(0.1)
        final = _bot_texts(page)[-1]
        assert "Sources" in final, final
        assert "delivered" in final and "Q:" not in final and "Question:" not in final
        page.screenshot(path=str(SHOTS / "chat.png"), full_page=True)
    finally:
        context.close()


def _wait_for_bot(page, about: str, timeout: float = 120) -> str:
    """The newest bot message once it is about `about` and complete (its sources line, in either language, or its
    offer of a person)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        texts = _bot_texts(page)
        if texts and about.lower() in texts[-1].lower() and any(w in texts[-1] for w in ("Sources", "来源", "person")):
            return texts[-1]
        time.sleep(0.2)
    raise AssertionError(f"no complete bot message about {about!r}: {_bot_texts(page)[-2:]}")


def test_apple_pay_and_the_lisbon_note_are_answered_truthfully(running_app, browser):
    """The issue's two confident-wrong cases: an invented payment method, and an uploaded note's closed day."""
    from gradio_client import handle_file

    note = ROOT / "tests" / "fixtures" / "answers" / "lisbon-store-note.md"
    added = running_app.client().predict([handle_file(str(note))], api_name="/kb_ingest")
    assert "indexed" in str(added) or "replaced" in str(added) or "skipped" in str(added), added
    context, page = _open(browser, running_app.local_url)
    try:
        _send(page, "Which payment methods do you accept? Can I pay with Apple Pay?")
        payment = _wait_for_bot(page, "Apple Pay")
        assert "PayPal" in payment and "credit card" in payment.lower(), payment
        assert "mention Apple Pay" in payment and "accept Apple Pay" not in payment, payment
        _send(page, "When is the Lisbon store open on Monday?")
        lisbon = _wait_for_bot(page, "Monday")
        assert "closed on Mondays" in lisbon or "Monday: closed" in lisbon, lisbon
        assert "open on Monday" not in lisbon.replace("open on Monday?", ""), lisbon
        page.screenshot(path=str(SHOTS / "chat-truthful-answers.png"), full_page=True)
    finally:
        context.close()


def test_hostile_message_is_shown_as_text(running_app, browser):
    context, page = _open(browser, running_app.local_url)
    try:
        payload = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script> ![t](http://198.51.100.7/x.png)"
        _send(page, payload)
        page.wait_for_function("document.querySelectorAll('#kefu-chatbot .message').length >= 3", timeout=60_000)
        time.sleep(2)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#kefu-chatbot img[src='x']").count() == 0
        assert page.locator("#kefu-chatbot img[src*='198.51.100.7']").count() == 0
        assert "onerror" in page.locator("#kefu-chatbot").inner_text()
    finally:
        context.close()


def test_operator_takeover_across_two_browsers(running_app, browser):
    customer_ctx, customer = _open(browser, running_app.local_url)
    agent_ctx, agent = _open(browser, running_app.local_url)
    try:
        _send(customer, "Hello there")
        customer.wait_for_function("document.querySelectorAll('#kefu-chatbot .message').length >= 3",
                                   timeout=60_000)
        customer.locator("#kefu-request-human").click()
        customer.wait_for_function("/you are next|ahead of you/.test(document.querySelector('#kefu-chatbot').innerText)",
                                   timeout=30_000)
        waiting = running_app.client().predict("waiting", api_name="/conversations")["conversations"]
        cid = max(waiting, key=lambda c: c["handoff_at"] or 0)["conversation_id"]  # the newest handoff is ours
        agent.get_by_role("tab", name="Operator console").click()
        agent.locator("#kefu-selected-conversation textarea, #kefu-selected-conversation input").first.fill(cid)
        agent.locator("#kefu-selected-conversation textarea, #kefu-selected-conversation input").first.press("Enter")
        agent.locator("#kefu-claim").click()
        agent.wait_for_function("document.querySelector('#kefu-action-result').innerText.includes('claim')",
                                timeout=30_000)
        agent.locator("#kefu-agent-reply textarea").fill("Hi! This is Dana, a human agent. How can I help?")
        agent.locator("#kefu-agent-send").click()
        customer.wait_for_function("document.querySelector('#kefu-chatbot').innerText.includes('This is Dana')",
                                   timeout=20_000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        customer.screenshot(path=str(SHOTS / "takeover-customer.png"), full_page=True)
        agent.screenshot(path=str(SHOTS / "takeover-agent.png"), full_page=True)
    finally:
        customer_ctx.close()
        agent_ctx.close()


def test_knowledge_upload_then_the_new_document_answers(running_app, browser, tmp_path):
    doc = tmp_path / "kefu-stars-loyalty.md"
    doc.write_text("# kefu Stars loyalty program\n\nMembers of the kefu Stars loyalty program earn 3 stars for every "
                   "dollar spent. 500 stars can be exchanged for a 25 dollar voucher. Stars expire after 24 months "
                   "without a purchase.\n", encoding="utf-8")
    context, page = _open(browser, running_app.local_url)
    try:
        page.get_by_role("tab", name="Knowledge base").click()
        # the chat tab's voice box has a file input too: take the knowledge base's
        page.locator("input[type=file]:not(#kefu-voice input)").first.set_input_files(str(doc))
        time.sleep(1.5)
        page.get_by_role("button", name="Upload and index").click()
        page.wait_for_function("document.body.innerText.includes('kefu-stars-loyalty.md') && "
                               "/indexed|replaced/.test(document.body.innerText)", timeout=120_000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "knowledge-upload.png"), full_page=True)
        page.get_by_role("tab", name="Chat").click()
        _send(page, "How many stars do loyalty program members earn per dollar?")
        page.wait_for_function("[...document.querySelectorAll('#kefu-chatbot .message')].some("
                               "m => m.innerText.includes('kefu Stars'))", timeout=120_000)
    finally:
        context.close()


# the handoff funnel's reasons note, and whether any of it lies outside the chart's drawing (clipped)
FUNNEL_NOTE = """() => {
    const chart = document.querySelector('#kefu-chart-handoff_funnel .js-plotly-plot');
    if (!chart) return null;
    const box = chart.querySelector('svg.main-svg').getBoundingClientRect();
    const notes = [...chart.querySelectorAll('.annotation')].map(a => a.getBoundingClientRect());
    return {text: [...chart.querySelectorAll('.annotation-text')].map(a => a.textContent).join(' '),
            clipped: notes.some(r => r.bottom > box.bottom + 0.5 || r.left < box.left - 0.5 || r.top < box.top)};
}"""


@pytest.mark.parametrize("locale, tab, all_domains, reasons", [("en-US", "Analytics", "All domains", "reasons:"),
                                                              ("zh-CN", "数据分析", "全部业务域", "原因")])
def test_analytics_charts_render(running_app, browser, locale, tab, all_domains, reasons):
    client = running_app.client()
    client.predict("How long do refunds take?", "", api_name="/chat")  # at least one conversation
    client.predict("I want to talk to a person", "", api_name="/chat")  # and a handoff, for the funnel's reasons
    context, page = _open(browser, running_app.local_url, locale=locale)
    try:
        page.get_by_role("tab", name=tab).click()
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=60_000)
        page.wait_for_function(f"({FUNNEL_NOTE})() && ({FUNNEL_NOTE})().text", timeout=60_000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"analytics-charts-{locale}.png"), full_page=True)
        assert page.locator(".js-plotly-plot").count() >= 3
        note = page.evaluate(FUNNEL_NOTE)
        assert reasons in note["text"] and not note["clipped"], note
        assert page.locator("#kefu-analytics-domain input").input_value() == all_domains
    finally:
        context.close()


@pytest.mark.parametrize("locale, cancel, plus_returns", [
    ("en-US", "can I cancel my membership online?", "how long is the return window on Plus?"),
    ("zh-CN", "会员可以在网上取消吗？", None)])
def test_business_documents_answer_without_a_desk_offer(running_app, browser, locale, cancel, plus_returns):
    """Last in the file: the uploaded membership documents stay in the knowledge base. A question about something only
    the business's own documents name (its membership) gets their rule and no offer to start the shop's order
    cancellation; a comparison table's cell is stated with its row and column."""
    from gradio_client import handle_file

    docs = [ROOT / "tests" / "fixtures" / "answers" / name
            for name in ("kefu-plus-membership.md", "kefu-plus-membership-zh.md")]
    added = running_app.client().predict([handle_file(str(d)) for d in docs], api_name="/kb_ingest")
    assert "indexed" in str(added) or "replaced" in str(added) or "skipped" in str(added), added
    context, page = _open(browser, running_app.local_url, locale=locale)
    try:
        _send(page, cancel)
        about = "online at any time" if locale == "en-US" else "随时在网上取消"
        reply = _wait_for_bot(page, about)
        assert "verify you" not in reply and "核实您的身份" not in reply and "order id" not in reply.lower(), reply
        if plus_returns:
            _send(page, plus_returns)
            row = _wait_for_bot(page, "Return window")
            assert "Plus: 60 days" in row and "30 days" not in row, row
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"chat-business-documents-{locale}.png"), full_page=True)
    finally:
        context.close()
