"""Answers on the real parts: the shipped knowledge base in Chroma + BM25, MiniLM, the calibrated selection model,
the real NLU and order desk, SQLite; the copilot and teach-as-FAQ through the real operator desk."""
from __future__ import annotations

import re
import time

import pytest

ABSTAINED = ("clarify", "decline_out_of_scope", "handoff")


def ask(services, text, cid=None):
    return services.dialogue.chat(cid, text)


@pytest.mark.parametrize("question, facts", [
    ("Can I cancel an order that was already delivered?", ["pending"]),
    ("How do I return an order?", ["delivered"]),
    ("订单可以取消吗？", ["待处理"]),
    ("怎么退货？", ["已送达"]),
    ("退款需要多长时间？", ["5 到 7 个工作日"]),
    ("Is it still possible to cancel an order after it has shipped?", ["pending"]),
    # "how do X work" asks for the procedure; "work" is no word to find (it declined at 0.58 in session 6)
    ("How do returns work for a delivered order?", ["order id"]),
])
def test_policy_questions_get_the_policy_not_the_desk(real_services, question, facts):
    r = ask(real_services, question)
    assert r.trace["message_kind"]["kind"] == "question"
    assert r.trace["policy"]["action"] in ("knowledge_answer", "curated_answer"), r.trace["policy"]
    for fact in facts:
        assert fact in r.reply, r.reply
    assert "Q:" not in r.reply and "A:" not in r.reply and "Question:" not in r.reply
    assert r.sources and r.sources[0]["title"] != "faq" and r.sources[0]["evidence"]
    # then the offer to act on the customer's own order
    assert "verify you first" in r.reply or "核实您的身份" in r.reply


def test_a_product_word_does_not_make_a_stock_lookup(real_services):
    r = ask(real_services, "Can I exchange a t-shirt for a different size?")
    assert r.trace["policy"]["action"] == "knowledge_answer", r.trace["policy"]
    assert not re.search(r"item \d{10}", r.reply) and "variant(s) available" not in r.reply  # no stock list
    assert "same product" in r.reply
    stock = ask(real_services, "Do you have the t-shirt in size L?")
    assert stock.trace["policy"]["action"] == "tool_flow" and stock.trace["message_kind"]["kind"] == "stock_question"
    # a product word that only modifies what is asked about, in a request's words: no stock list of phones either
    other = ask(real_services, "could you tell me the price of phone insurance?")
    assert other.trace["message_kind"]["kind"] == "question" and "variant(s) available" not in other.reply


def test_apple_pay_is_never_invented(real_services):
    r = ask(real_services, "Which payment methods do you accept? Can I pay with Apple Pay?")
    reply = r.reply
    assert "PayPal" in reply and "credit card" in reply.lower() and "gift card" in reply.lower()
    assert "don't mention Apple Pay" in reply  # said to be unknown, not accepted
    assert r.trace["answer"]["parts"][1]["unmentioned"] == ["Apple Pay"]
    zh = ask(real_services, "你们支持哪些付款方式？可以用支付宝吗？")
    assert "PayPal" in zh.reply and "没有提到“支付宝”" in zh.reply


def test_followup_reuses_the_subject(real_services):
    first = ask(real_services, "How long does a refund to a credit card take?")
    assert "5 to 7" in first.reply
    second = ask(real_services, "And to a gift card?", first.conversation_id)
    assert second.trace["answer"]["followup"]["previous"]
    assert "immediate" in second.reply.lower(), second.reply


def test_unanswerable_questions_are_declined(real_services):
    r = ask(real_services, "What is the warranty period for a laptop screen replacement at your repair centre?")
    assert r.trace["policy"]["action"] in ABSTAINED, r.trace["policy"]
    assert "rather not guess" in r.reply and "person" in r.reply
    assert r.trace["retrieval"]["nothing_found"] is True
    assert r.trace["answer"]["mode"] == "abstain"


def test_evidence_answers_are_fast(real_services):
    ask(real_services, "How do refunds work?")  # warm the caches
    started = time.perf_counter()
    # (session 6: "Can I change the address of a pending order?" now declines: its three close units from one FAQ
    # row leave the transfer-calibrated confidence at 0.50 < 0.79; a question the shop answers stands in)
    for question in ("How long do refunds take?", "Is it still possible to cancel an order after it has shipped?",
                     "Which payment methods do you accept?"):
        r = ask(real_services, question)
        assert r.trace["answer"]["mode"] in ("evidence", "curated")
    assert (time.perf_counter() - started) / 3 < 3.0  # generous: the bench measures the real figure


def test_copilot_drafts_from_the_last_customer_question(real_services):
    ops = real_services.operators
    cid = ask(real_services, "I want to talk to a person").conversation_id
    ops.claim(cid, "alice")
    ask(real_services, "How long does a refund to a credit card take?", cid)
    ask(real_services, "thanks", cid)
    draft = ops.suggest_reply(cid)
    assert draft["question"] == "How long does a refund to a credit card take?"
    assert "5 to 7" in draft["draft"] and draft["sources"] and draft["sources"][0]["evidence"]
    assert draft["mode"] in ("evidence", "curated")


def test_teach_as_faq_publishes_only_the_edited_pair(real_services):
    ops, kb = real_services.operators, real_services.knowledge
    cid = ask(real_services, "I want to talk to a person").conversation_id
    ops.claim(cid, "alice")
    ask(real_services, "Thanks! Do I need to print a shipping label for a kefu return?", cid)
    ops.agent_reply(cid, "alice", "No printing needed: the return email holds a QR code the carrier scans.")
    draft = ops.teach(cid, "alice")
    assert draft["question"] == "Do I need to print a shipping label for a kefu return?"
    assert kb.curated_answer("Do I need to print a shipping label for a kefu return?") is None  # not yet
    ops.publish_taught(cid, "alice", draft["question"], "No. The return email holds a QR code the carrier scans.")
    r = ask(real_services, "Do I need to print a shipping label for a kefu return?")
    assert r.trace["policy"]["action"] == "curated_answer"
    assert "QR code" in r.reply and "Q:" not in r.reply


def test_eval_answers_counts_correct_abstained_and_wrong(real_services, tmp_path):
    from components.answers.eval import run_answer_eval

    scenarios = tmp_path / "mini.yaml"
    scenarios.write_text(
        "- name: refund timing\n  turns:\n    - user: How long does a refund to a credit card take?\n"
        "      expect: {reply_contains: [[5 to 7, 5-7]]}\n"
        "- name: not in the content\n  turns:\n"
        "    - user: What is the warranty period for a laptop screen replacement at your repair centre?\n"
        "      expect: {abstain: true}\n"
        "- name: a fact the answer lacks\n  turns:\n    - user: How long does a refund to a credit card take?\n"
        "      expect: {reply_contains: [zebra-unicorn-42]}\n"
        "- name: expected an answer, got an abstention\n  turns:\n"
        "    - user: What is the warranty period for a laptop screen replacement at your repair centre?\n"
        "      expect: {reply_contains: [two years]}\n", encoding="utf-8")
    result = run_answer_eval(real_services.settings, scenarios=str(scenarios), services=real_services)
    assert (result["correct"], result["abstained"], result["wrong"], result["total"]) == (2, 1, 1, 4), result
    verdicts = [s["verdicts"][0] for s in result["scenarios"]]
    assert verdicts == ["correct", "correct", "wrong", "abstained"]
    with pytest.raises(ValueError, match="unknown expectation"):
        bad = tmp_path / "bad.yaml"
        bad.write_text("- name: x\n  turns:\n    - user: hi\n      expect: {reply_has: [x]}\n", encoding="utf-8")
        run_answer_eval(real_services.settings, scenarios=str(bad), services=real_services)


def test_confident_evidence_that_does_not_state_what_is_asked_is_declined(real_services):
    # the refund-timing sentence matches "how many days ... return" well (0.84) but states how long a refund takes,
    # not how long a customer has to return: the shop's content has no return window, so the bot says it does not know
    r = ask(real_services, "How many days do I have to return something after delivery?")
    assert r.trace["policy"]["action"] == "clarify", r.trace["policy"]
    assert "asks for a duration" in r.trace["policy"]["reason"]
    assert "5 to 7" not in r.reply and "person" in r.reply
    assert r.trace["answer"]["abstain_reason"].startswith("the best evidence")


@pytest.mark.parametrize("question, facts, correction", [
    # shop_en.yaml's "How long does a refund to PayPal take?", as a customer types it
    ("how lnog does a reefund to paypal take", ["5 to 7"], {"from": "reefund", "to": "refund", "kind": "spelling"}),
    ("Can I cancle a pendng order?", ["pending"], {"from": "pendng", "to": "pending", "kind": "spelling"}),
    # test_policy_questions' "退款需要多长时间？" with a pinyin keyboard's homophone, and in traditional characters
    ("退宽需要多长时间？", ["5 到 7 个工作日"], {"from": "退宽", "to": "退款", "kind": "homophone"}),
    ("退款需要多長時間？", ["5 到 7 个工作日"], {"from": "退款需要多長時間", "to": "退款需要多长时间", "kind": "simplified"}),
])
def test_misspelt_questions_get_the_answer_of_the_clean_one(real_services, question, facts, correction):
    r = ask(real_services, question)
    answer = r.trace["answer"]
    assert answer["mode"] in ("evidence", "curated"), (answer["mode"], r.reply)
    for fact in facts:
        assert fact in r.reply, r.reply
    assert correction in answer["corrections"] and answer["asked"] == question


def test_eval_answers_asks_the_turns_as_customers_type(real_services, tmp_path):
    from components.answers.eval import run_answer_eval

    scenarios = tmp_path / "mini.yaml"
    scenarios.write_text(
        "- name: refund timing\n  turns:\n    - user: How long does a refund to a credit card take?\n"
        "      expect: {reply_contains: [[5 to 7, 5-7]]}\n", encoding="utf-8")
    result = run_answer_eval(real_services.settings, scenarios=str(scenarios), services=real_services,
                             perturb=["none", "typo", "homophone"], seed=0)
    runs = result["perturbations"]
    assert runs["none"]["correct"] == 1 and runs["none"]["changed"] == 0 and runs["none"]["corrected_turns"] == 0
    assert runs["typo"]["changed"] == 1 and runs["typo"]["corrected_turns"] == 1
    assert runs["typo"]["correct"] == runs["typo"]["on_changed"]["correct"] == 1, runs["typo"]
    assert runs["homophone"]["changed"] == 0        # an English turn has no Chinese to rewrite
    with pytest.raises(ValueError, match="unknown perturbation"):
        run_answer_eval(real_services.settings, scenarios=str(scenarios), services=real_services, perturb=["emoji"])


@pytest.mark.parametrize("question", [
    "What's the weather like in Paris today?",
    "Tell me a joke",
    "Who won the World Cup?",
    "What time does the Apple Store in Lisbon open?",
    "Can you recommend a good Netflix series?",
])
def test_out_of_scope_requests_are_still_declined(real_services, question):
    """The shop's documents name none of what these ask about: declined as out of scope, never a knowledge gap (an
    unanswered question naming what the documents name is one, components/dialogue/policy.py)."""
    r = ask(real_services, question)
    assert r.trace["policy"]["action"] == "decline_out_of_scope", r.trace["policy"]


@pytest.mark.parametrize("question", ["what's the warranty on headphones?", "耳机有保修吗？"])
def test_an_unanswered_question_about_the_shops_own_products_is_in_scope(real_services, question):
    """The help articles say nothing of a warranty, but headphones are what the shop sells: "I couldn't find that,
    shall I connect you with a person?" (a knowledge gap), never "I can only help with kefu Demo Shop orders ..."."""
    r = ask(real_services, question)
    assert r.trace["policy"]["action"] == "clarify", r.trace["policy"]
    assert "only help" not in r.reply and "只能" not in r.reply


def test_no_desk_offer_after_the_business_own_cancellation_rule(real_services, tmp_path):
    """A business's document beside the demo shop's: cancelling its membership is answered from that document with
    no offer from the order desk to start an order's cancellation; the shop's own cancellation question keeps it."""
    from components.answers.eval import run_answer_eval

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "membership.md").write_text(
        "# Plus membership\n\nYou can cancel your Plus membership online at any time under Account > Membership. "
        "The membership then ends at the end of the month you have paid for.\n", encoding="utf-8")
    scenarios = tmp_path / "offers.yaml"
    scenarios.write_text(
        "- name: the business's own membership\n  turns:\n    - user: Can I cancel my Plus membership online?\n"
        "      expect: {reply_contains: [[at any time]], reply_not_contains: [verify you first]}\n"
        "- name: the shop's orders\n  turns:\n    - user: Can I cancel an order that was already delivered?\n"
        "      expect: {reply_contains: [[verify you first]]}\n", encoding="utf-8")
    result = run_answer_eval(real_services.settings, scenarios=str(scenarios), ingest=[str(docs)])
    assert [s["verdicts"][0] for s in result["scenarios"]] == ["correct", "correct"], result["scenarios"]
