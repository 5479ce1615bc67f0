"""Issue 16 in a real browser (Playwright + Debian's Chromium against the running app): thumbs reach analytics,
the open console transcript updates live, Stop marks the answer, resolve asks for confirmation and tells the
customer, the zh-CN page has no untranslated label, and every tab is captured in both languages.

Every wait is on the state it checks (no fixed sleeps)."""
from __future__ import annotations

import re
import time

import pytest

from components.ui.i18n import STRINGS
from tests.test_browser import SHOTS, _open, _send, browser  # noqa: F401  (the module-scoped browser fixture)

pytestmark = pytest.mark.browser

CHATBOT_TEXT = "document.querySelector('#kefu-chatbot').innerText"


def _wait_text(page, selector: str, text: str, timeout: float = 30_000) -> None:
    page.wait_for_function("([sel, text]) => { const e = document.querySelector(sel); "
                           "return e && e.innerText.includes(text); }", arg=[selector, text], timeout=timeout)


def _bot_answer_count(page) -> int:
    return page.locator("#kefu-chatbot .message.bot, #kefu-chatbot [data-testid='bot']").count()


def _start_customer(browser, url, first: str):  # noqa: F811
    context, page = _open(browser, url)
    before = _bot_answer_count(page)  # the welcome message
    _send(page, first)
    page.wait_for_function(f"{CHATBOT_TEXT}.includes({first!r})", timeout=60_000)
    return context, page, before


def _open_in_console(agent, cid: str) -> None:
    agent.get_by_role("tab", name="Operator console").click()
    box = agent.locator("#kefu-selected-conversation textarea, #kefu-selected-conversation input").first
    box.fill(cid)
    box.press("Enter")
    agent.wait_for_selector("#kefu-transcript .kefu-bubble", timeout=30_000)


def _newest(client, status: str) -> str:
    rows = client.predict(status, api_name="/conversations")["conversations"]
    return max(rows, key=lambda c: c["updated_at"])["conversation_id"]


def test_thumbs_down_in_the_chat_reaches_analytics(running_app, browser):  # noqa: F811
    client = running_app.client()
    before = client.predict("", "", api_name="/analytics")["thumbs_down"]
    context, page, _ = _start_customer(browser, running_app.local_url, "What payment methods do you accept?")
    try:
        page.wait_for_function(f"{CHATBOT_TEXT}.includes('Sources')", timeout=120_000)
        dislike = page.locator("#kefu-chatbot button[aria-label='Dislike'], #kefu-chatbot button[title='Dislike']")
        dislike.last.click()
        deadline = time.time() + 20
        after = before
        while time.time() < deadline and after == before:
            after = client.predict("", "", api_name="/analytics")["thumbs_down"]
        assert after == before + 1
    finally:
        context.close()


def _claimed_by_agent(browser, running_app, first: str):  # noqa: F811
    """A customer who asked for a person, and an agent who opened and claimed the conversation."""
    customer_ctx, customer, _ = _start_customer(browser, running_app.local_url, first)
    agent_ctx, agent = _open(browser, running_app.local_url)
    customer.wait_for_function(f"/you are next|ahead of you/.test({CHATBOT_TEXT})", timeout=60_000)
    cid = _newest(running_app.client(), "waiting")
    _open_in_console(agent, cid)
    agent.locator("#kefu-claim").click()
    _wait_text(agent, "#kefu-action-result", "claimed")
    return customer_ctx, customer, agent_ctx, agent, cid


def test_customer_follow_up_appears_in_the_open_transcript_within_3_s(running_app, browser):  # noqa: F811
    customer_ctx, customer, agent_ctx, agent, _ = _claimed_by_agent(browser, running_app,
                                                                    "I want to talk to a person")
    try:
        # Enter in the composer sends; the customer sees the reply
        agent.locator("#kefu-agent-reply textarea").fill("Hello, this is Dana from support.")
        agent.locator("#kefu-agent-reply textarea").press("Enter")
        customer.wait_for_function(f"{CHATBOT_TEXT}.includes('this is Dana')", timeout=20_000)
        # Ctrl+Enter adds an internal note (never shown to the customer)
        agent.locator("#kefu-agent-reply textarea").fill("VIP customer, be quick")
        agent.locator("#kefu-agent-reply textarea").press("Control+Enter")
        _wait_text(agent, "#kefu-transcript", "VIP customer, be quick")
        follow_up = "My parcel was left at the wrong door"
        _send(customer, follow_up)
        started = time.time()
        _wait_text(agent, "#kefu-transcript", follow_up, timeout=3_000)
        assert time.time() - started <= 3.5
        assert "VIP customer" not in customer.locator("#kefu-chatbot").inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        agent.screenshot(path=str(SHOTS / "console-live.png"), full_page=True)
    finally:
        customer_ctx.close()
        agent_ctx.close()


def test_resolve_asks_first_when_the_customer_wrote_last_and_tells_the_customer(running_app, browser):  # noqa: F811
    customer_ctx, customer, agent_ctx, agent, cid = _claimed_by_agent(browser, running_app, "I need a human please")
    try:
        _send(customer, "This is really annoying, nobody answers")
        _wait_text(agent, "#kefu-transcript", "nobody answers")
        agent.locator("#kefu-resolve").click()
        agent.wait_for_selector("#kefu-resolve-confirm", state="visible", timeout=10_000)
        assert running_app.client().predict(cid, api_name="/conversation")["conversation"]["status"] == "human"
        agent.locator("#kefu-resolve-yes").click()
        _wait_text(agent, "#kefu-action-result", "resolved")
        customer.wait_for_function(f"{CHATBOT_TEXT}.includes('marked as resolved')", timeout=20_000)
    finally:
        customer_ctx.close()
        agent_ctx.close()


@pytest.fixture()
def generating_app(running_app, tmp_path, model_cache_dir):
    """The app with answers the model writes (KEFU_ANSWER_STYLE=generate): the packaged model's default states the
    evidence at once, so there would be nothing to stop. Started after the shared app, whose start filled the
    model cache (converted weights, trained classifiers), so this one starts warm."""
    from tests.conftest import RunningApp

    app = RunningApp(tmp_path / "data", model_cache_dir, extra_env={"KEFU_ANSWER_STYLE": "generate"})
    try:
        app.start()
        yield app
    finally:  # also when it never became ready: no app is left running
        app.stop()


def test_stop_marks_the_answer_stopped(generating_app, browser):  # noqa: F811
    context, page = _open(browser, generating_app.local_url)
    client = generating_app.client()
    question = "Tell me about your shipping and delivery options."
    try:
        _send(page, question)
        # Stop while the model writes: the customer's message is shown and its answer is not complete yet
        page.wait_for_function(f"{CHATBOT_TEXT}.includes({question!r})", timeout=60_000, polling=50)
        cid = _newest(client, "bot")
        messages = client.predict(cid, api_name="/conversation")["messages"]
        assert [m["state"] for m in messages if m["role"] == "bot"][-1:] in ([], ["streaming"]), messages
        page.locator("#kefu-stop").click()
        try:
            page.wait_for_function(f"{CHATBOT_TEXT}.includes('⏹ stopped')", timeout=60_000)
        except Exception:
            page.screenshot(path=str(SHOTS / "stop-failure.png"), full_page=True)
            raise
        messages = client.predict(cid, api_name="/conversation")["messages"]
        bot = [m for m in messages if m["role"] == "bot"][-1]
        assert bot["state"] == "interrupted", bot
        # the model was writing it and Stop cut it short
        generation = (bot.get("trace") or {}).get("generation") or {}
        assert generation.get("finish_reason") == "cancelled", generation
    finally:
        context.close()


TABS = {"en-US": ("Chat", "Knowledge base", "Analytics", "Operator console"),
        "zh-CN": ("对话", "知识库", "数据分析", "坐席控制台")}
FILES = ("chat", "knowledge", "analytics", "console")
# the tab buttons a person sees (Gradio also keeps an aria-hidden copy of the bar to measure it, and an overflow menu)
VISIBLE_TABS_JS = """() => [...document.querySelectorAll('[role=tab]')]
  .filter(b => b.offsetWidth > 0 && b.offsetHeight > 0 && !b.closest('[aria-hidden=true]'))
  .map(b => b.innerText.trim())"""


CHROME_TEXT_JS = """() => {
  const seen = [];
  const visible = (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  for (const e of document.querySelectorAll('button, label, th, [role=tab], [data-testid=block-info], h1, h2, h3, h4,'
                                            + ' summary, .label-wrap, [data-testid=block-label]')) {
    if (visible(e)) seen.push(e.innerText.trim());
  }
  for (const e of document.querySelectorAll('textarea[placeholder], input[placeholder]')) {
    if (visible(e)) seen.push(e.getAttribute('placeholder').trim());
  }
  return seen;
}"""


# English that may stay on the Chinese page: names, formats and symbols
NOT_WORDS = {"kefu", "FAQ", "BM25", "parquet", "csv", "YYYY-MM-DD", "all", "Like", "Dislike", "API", "NLU", "p95",
             "track_order"}


def _untranslated(page) -> list[str]:
    """Labels, buttons, headers, tab names and placeholders on the page that are English UI strings
    (i18n.STRINGS values whose Chinese differs), or English words with no Chinese beside them."""
    chrome = [text for text in page.evaluate(CHROME_TEXT_JS) if text]
    english = {v for k, v in STRINGS["en"].items() if v != STRINGS["zh-CN"][k] and "{" not in v}

    def english_only(text: str) -> bool:
        words = [w for w in re.findall(r"[A-Za-z_][A-Za-z_-]{2,}", text) if w not in NOT_WORDS]
        return bool(words) and not re.search(r"[\u4e00-\u9fff]", text)

    return sorted({text for text in chrome if text in english or english_only(text) or any(
        line.strip() in english for line in text.splitlines())})


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_every_tab_in_both_languages_is_captured(running_app, browser, locale):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    opened = running_app.client().predict("How long do refunds take?" if locale == "en-US" else "退款需要多长时间？",
                                          "", api_name="/chat")  # the queue is not empty
    context, page = _open(browser, running_app.local_url, locale=locale)
    lang = "en" if locale == "en-US" else "zh"
    try:
        welcome = STRINGS["en" if lang == "en" else "zh-CN"]["welcome"][:12]
        page.wait_for_function(f"{CHATBOT_TEXT}.includes({welcome!r})", timeout=30_000)
        for tab, name in zip(TABS[locale], FILES):
            page.get_by_role("tab", name=tab).click()
            if name == "analytics":
                page.wait_for_selector("#kefu-kpi-tiles", timeout=60_000)
                page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=60_000)
            elif name == "console":
                page.wait_for_function("/🤖|🔴|🟢|✅/.test(document.querySelector('#kefu-conversations').innerText)",
                                       timeout=30_000)
                # open the conversation started above: the screenshot shows the bubbles and the customer panel
                box = page.locator("#kefu-selected-conversation textarea, #kefu-selected-conversation input").first
                box.fill(opened["conversation_id"])
                box.press("Enter")
                page.wait_for_selector("#kefu-transcript .kefu-bubble", timeout=30_000)
            elif name == "knowledge":
                page.wait_for_function("document.querySelector('[id=kefu-kb-pick]') !== null", timeout=30_000)
            if lang == "zh":
                assert _untranslated(page) == [], f"untranslated on the {tab} tab"
            path = SHOTS / f"{name}-{lang}.png"
            page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 10_000
        # every tab visited: each is still drawn exactly once in the tab bar
        page.get_by_role("tab", name=TABS[locale][0]).click()
        page.wait_for_selector("#kefu-chat-input textarea", state="visible", timeout=10_000)
        shown = page.evaluate(VISIBLE_TABS_JS)
        assert sorted(shown) == sorted(TABS[locale]), f"tab bar after visiting every tab: {shown}"
    finally:
        context.close()


QUEUE_OVERFLOW_JS = """() => { const v = document.querySelector('#kefu-conversations .virtual-table-viewport')
  || document.querySelector('#kefu-conversations .table-wrap');
  const col = document.querySelector('#kefu-queue-column');
  return {table: [v.scrollWidth, v.clientWidth], column: [col.scrollWidth, col.clientWidth]}; }"""


# the n-th queue row under the table's sticky header, as a person sees it: the centre of its last-message cell, and
# the customer cell of the row drawn at that point (elementFromPoint)
VISIBLE_ROW_JS = """(n) => {
  const head = document.querySelector('#kefu-conversations .header-table, #kefu-conversations thead');
  const column = [...head.querySelectorAll('th')][3].getBoundingClientRect();
  const first = document.querySelector('#kefu-conversations .virtual-row');
  if (!first) return null;
  const x = column.left + column.width / 2;
  const y = head.getBoundingClientRect().bottom + first.getBoundingClientRect().height * (n + 0.5);
  const row = document.elementFromPoint(x, y)?.closest('#kefu-conversations .virtual-row');
  const who = row?.querySelector('[data-col="2"]')?.innerText.trim();
  return who ? {x, y, who} : null;
}"""


def test_console_at_1280_with_200_queued_fits_and_answers_a_click(running_app, browser, app_data_dir):  # noqa: F811
    """200 waiting conversations: the queue does not scroll sideways at 1280×800 (English and Chinese), and the
    browser round trip of a click on a queue row until its transcript shows is measured (printed and saved as
    JSON, not asserted: timings on a shared CI box are noise; the target is 300 ms p95)."""
    import json
    import random
    import statistics

    from components.storage.conversation_store import ConversationStore
    from components.ui.console_bench import _seed

    store = ConversationStore(app_data_dir / "kefu.sqlite3")
    try:
        _seed(store, 200, 3)
    finally:
        store.close()
    samples, lost = [], 0
    for locale, tab in (("zh-CN", "坐席控制台"), ("en-US", "Operator console")):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale)
        page = context.new_page()
        try:
            page.goto(running_app.local_url)
            page.get_by_role("tab", name=tab).click()
            page.wait_for_function("document.querySelectorAll('#kefu-conversations .body-cell').length > 40",
                                   timeout=60_000)
            sizes = page.evaluate(QUEUE_OVERFLOW_JS)
            assert sizes["table"][0] <= sizes["table"][1] and sizes["column"][0] <= sizes["column"][1], sizes
            if locale == "zh-CN":
                continue
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "console-200-queued-en.png"))
            rng, previous = random.Random(16), None
            for _ in range(30):
                row = rng.choice([i for i in range(5) if i != previous])
                previous = row
                # what a person does: click the last-message cell of a row they see (the element at that point);
                # a click that opens nothing within 10 s (it landed while the queue was redrawn) is counted and
                # clicked again, as a person would
                for attempt in range(3):
                    target = page.wait_for_function(VISIBLE_ROW_JS, arg=row, timeout=10_000).json_value()
                    started = time.perf_counter()
                    page.mouse.click(target["x"], target["y"])
                    try:
                        page.wait_for_function("(who) => { const h = document.querySelector("
                                               "'#kefu-conversation-header'); return h && h.innerText.includes(who)"
                                               " && document.querySelector('#kefu-transcript .kefu-bubble'); }",
                                               arg=target["who"], timeout=10_000, polling="raf")
                        break
                    except Exception:
                        lost += 1
                        assert attempt < 2, "three clicks on a queue row opened nothing"
                samples.append((time.perf_counter() - started) * 1000)
        finally:
            context.close()
    ordered = sorted(samples)
    figure = {"conversations_queued": 200, "clicks": len(samples), "clicks_lost_and_repeated": lost,
              "click_to_transcript_p50_ms": round(statistics.median(samples), 1),
              "click_to_transcript_p95_ms": round(ordered[int(round(0.95 * (len(ordered) - 1)))], 1),
              "target_p95_ms": 300, "load_average": open("/proc/loadavg").read().split()[:3],
              "measures": "Chromium: click a queue row until the header and bubbles of that conversation show"}
    print(json.dumps(figure))
    (SHOTS.parent / "console-click-round-trip.json").write_text(json.dumps(figure, indent=1))
