"""The whole turn pipeline with every real part in-process: SmolLM2, MiniLM, Chroma, SQLite, NLU, order desk."""
from __future__ import annotations

import re
from pathlib import Path

from components.dialogue.dialogue_eval import load_scenarios, turn_function

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
ORDER_W6893533_SECRETS = ["Garden Hose", "Wireless Earbuds", "262530041486", "207 Willow Lane"]


def test_knowledge_answer_states_cited_evidence(real_services):
    r = real_services.dialogue.chat(None, "How many days does a refund to a credit card take?")
    assert r.trace["policy"]["action"] in ("knowledge_answer", "curated_answer"), r.trace["policy"]
    assert r.sources and "5 to 7" in r.reply
    assert r.trace["answer"]["mode"] in ("evidence", "curated") and r.trace["answer"]["evidence"]
    assert r.trace["timings_ms"]["nlu_ms"] >= 0 and r.trace["retrieval"]["hits"]


def test_a_return_policy_question_told_with_a_product_states_the_return_policy(real_services):
    """The issue's own example: the story names a product ("headphones"), the question asks for the policy as a whole;
    the answer is the opening of the returns article (policy_overview.py), never a stock list or "I couldn't find"."""
    r = real_services.dialogue.chat(None, "I bought headphones last week and they don't fit, what's your return policy?")
    assert r.trace["policy"]["action"] == "knowledge_answer", r.trace["policy"]
    assert "delivered" in r.reply and "in stock" not in r.reply and "item id" not in r.reply, r.reply
    assert r.trace["answer"]["parts"][0].get("overview") == "return"


def test_chinese_order_status_ends_in_the_real_status(real_services):
    dm = real_services.dialogue
    first = dm.chat(None, "我想查询我的订单状态")
    assert CJK.search(first.reply) and first.trace["policy"]["action"] == "tool_flow"
    second = dm.chat(first.conversation_id, "我的邮箱是 noah.brown7922@example.com")
    third = dm.chat(first.conversation_id, "#W7678072")
    text = second.reply + third.reply
    assert "#W7678072" in text and "已送达" in text, text
    assert real_services.store.get_conversation(first.conversation_id)["customer"] == "noah_brown_6181"


def test_another_customers_order_is_never_shown(real_services):
    dm = real_services.dialogue
    r = dm.chat(None, "my email is noah.brown7922@example.com")
    r = dm.chat(r.conversation_id, "what is the status of order #W6893533?")  # ivan_santos_6635's order
    assert "Ivan" not in r.reply and "Santos" not in r.reply
    # nothing of that order leaks: not its items, tracking number or address; the refusal is the same as for an
    # order that does not exist
    for secret in ORDER_W6893533_SECRETS:
        assert secret not in r.reply, secret
    missing = dm.chat(r.conversation_id, "what is the status of order #W0000000?")
    assert missing.reply.replace("#W0000000", "#W6893533") == r.reply


def test_shipped_order_desk_scenarios_pass(real_services):
    from components.orders.scenario_runner import run_scenarios

    suite = load_scenarios(ROOT / "assets" / "scenarios" / "order_desk.yaml")
    result = run_scenarios(turn_function(real_services.dialogue), suite)
    assert result["failed"] == 0, result["failures"][:3]


def test_shipped_order_change_scenarios_pass_through_the_pipeline(real_services):
    """Exchanges, item and payment changes through the whole turn (routing included): "Can I also change the
    headphones to black?" after an item change is a request about the order just changed, for the desk (it says an
    order's items change only once), not a question the help articles cannot answer."""
    from components.orders.scenario_runner import run_scenarios

    suite = load_scenarios(ROOT / "assets" / "scenarios" / "order_changes.yaml")
    result = run_scenarios(turn_function(real_services.dialogue), suite)
    assert result["failed"] == 0, result["failures"][:3]


def test_run_dialogue_eval_reports_failures_with_the_reply(real_services, tmp_path):
    from components.dialogue.dialogue_eval import run_dialogue_eval

    scenarios = tmp_path / "mini.yaml"
    scenarios.write_text(
        "- name: greeting\n  turns:\n    - user: hello\n      expect: {action: small_talk}\n"
        "- name: impossible\n  turns:\n    - user: hello\n      expect: {reply_contains: [zebra-unicorn-42]}\n",
        encoding="utf-8")
    result = run_dialogue_eval(real_services.settings, scenarios=str(scenarios), services=real_services)
    assert result["passed"] == 1 and result["failed"] == 1
    assert result["failures"][0]["reply"] if isinstance(result["failures"][0], dict) else result["failures"][0]
