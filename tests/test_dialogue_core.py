"""The conversation store, the input guard, the policy and the dialogue manager (with fakes for the model/KB)."""
from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from components.answers.composer import AnswerComposer
from components.dialogue.dialogue_manager import DialogueManager
from components.dialogue.input_guard import guard_input
from components.dialogue.policy import PolicyInput, decide
from components.nlu.language import carries_language, detect_language
from components.nlu.result import NLUResult
from components.settings import Settings
from components.storage.conversation_store import ConversationStore
from tests.fakes import FakeEngine, FakeKnowledge, hit


@pytest.fixture
def store(tmp_path):
    s = ConversationStore(tmp_path / "kefu.sqlite3")
    yield s
    s.close()


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path)


def manager(settings, store, **kw):
    """A dialogue manager over fakes; its composer answers from any evidence (min_score tiny: the fakes' scores
    mean nothing) in the style asked for (the packaged model's default states the evidence)."""
    engine = kw.pop("engine", FakeEngine())
    knowledge = kw.pop("knowledge", FakeKnowledge([hit()]))
    composer = AnswerComposer(knowledge, knowledge.embedder.embed, engine=engine, style=kw.pop("style", "evidence"),
                              min_score=1e-6)
    return DialogueManager(settings, store, engine=engine, knowledge=knowledge, answers=composer, **kw)


# -- input guard -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, ok, problem", [
    ("", False, "empty"), ("   \n\t ", False, "empty"), ("\x00\x01\x02", False, "empty"),
    ("x" * 20_000, False, "too_long"), ("hello\x07 there", True, None), ("<script>alert(1)</script>", True, None),
])
def test_guard_input(raw, ok, problem):
    g = guard_input(raw, max_chars=4000)
    assert g.ok is ok and g.problem == problem
    if ok:
        assert "\x07" not in g.text
    else:
        assert g.message and len(g.message) > 20


def test_guard_speaks_chinese():
    assert "字符" in guard_input("长" * 5000, max_chars=4000, language="zh").message


@pytest.mark.parametrize("text, lang", [("我想查询我的订单状态", "zh"), ("Where is my order #W2611340?", "en"),
                                        ("订单 #W2611340 到哪了", "zh"), ("ok", "en")])
def test_detect_language(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("text, carries", [("31570922 1979-11-03 5566", False), ("#W2611340", False),
                                           ("[EMAIL_1] 92147", False), ("born March 3, 1990", True),
                                           ("March 3, 1990, 10 am", False), ("好的", True), ("yes please", True)])
def test_carries_language(text, carries):
    assert carries_language(text) is carries


def test_a_message_of_numbers_keeps_the_conversations_language(settings, store):
    """A Chinese conversation's "31570922 1979-11-03 5566" is answered in Chinese, not in English."""
    kb = FakeKnowledge([hit(0.9, title="退款政策", text="退款将在5到7个工作日内退回原支付方式。")])
    dm = manager(settings, store, knowledge=kb)
    first = dm.chat(None, "退款需要多久？")
    numbers = dm.chat(first.conversation_id, "31570922 1979-11-03 5566")
    assert numbers.trace["language"] == "zh"
    assert dm.chat(None, "31570922 1979-11-03 5566").trace["language"] == "en"  # a new conversation: no language yet


# -- store -----------------------------------------------------------------------------------------------------
def test_store_round_trip_and_survives_reopen(tmp_path):
    path = tmp_path / "kefu.sqlite3"
    s = ConversationStore(path)
    cid = s.create_conversation()
    m1 = s.add_message(cid, "customer", "hi")
    m2 = s.add_message(cid, "bot", "", state="streaming")
    s.append_event(cid, "nlu", {"intent": "greeting"})
    s.close()
    s = ConversationStore(path)
    assert s.recover_interrupted() == 1
    msgs = s.messages(cid)
    assert [m["id"] for m in msgs] == [m1, m2]
    assert msgs[1]["state"] == "interrupted"
    assert s.events(cid)[0]["payload"] == {"intent": "greeting"}
    assert s.integrity_check() == "ok"
    with pytest.raises(ValueError):
        s.add_message(cid, "hacker", "x")
    with pytest.raises(ValueError):
        s.update_conversation(cid, status="nonsense")


# -- policy ----------------------------------------------------------------------------------------------------
def test_policy_decisions():
    nlu = NLUResult(intent="get_refund", confidence=0.9)
    assert decide(PolicyInput("how long do refunds take", nlu, answer_mode="evidence", evidence_score=0.8,
                              message_kind="question")).action == "knowledge_answer"
    assert decide(PolicyInput("how long do refunds take", nlu, answer_mode="abstain",
                              evidence_score=0.1)).action == "clarify"
    assert decide(PolicyInput("I want to talk to a person", nlu)).action == "handoff"
    assert decide(PolicyInput("转人工", nlu)).handoff_reason == "customer_request"
    assert decide(PolicyInput("hello!", nlu)).action == "small_talk"
    assert decide(PolicyInput("where is #W2611340", nlu, desk_wants=True)).action == "tool_flow"
    oos = NLUResult(intent="x", confidence=0.1, out_of_scope=True)
    assert decide(PolicyInput("what's the weather", oos, answer_mode="abstain")).action == "decline_out_of_scope"
    assert decide(PolicyInput("what's the weather", oos, answer_mode="abstain",
                              recent_failed_turns=2)).action == "handoff"
    # the documents nearly answer it: a knowledge gap, whatever the intent model says (a gym's question over its
    # own uploaded documents was told "I can only help with kefu Demo Shop orders ...")
    near = PolicyInput("Can I bring my dog to the club?", oos, answer_mode="abstain", evidence_score=0.7,
                       min_score=0.8, message_kind="question")
    assert decide(near).action == "clarify"
    assert decide(replace(near, evidence_score=0.4)).action == "decline_out_of_scope"
    neg = NLUResult(sentiment="negative")
    d = decide(PolicyInput("this is useless", neg, answer_mode="evidence", evidence_score=0.8,
                           recent_negative_turns=2))
    assert d.action == "handoff" and d.handoff_reason == "negative_sentiment"
    d = decide(PolicyInput("how long do refunds take", nlu, answer_mode="curated", evidence_score=0.95))
    assert d.action == "curated_answer" and "curated" in d.reason


def test_a_question_about_people_is_no_request_for_one():
    asks = NLUResult(intent="contact_human_agent", confidence=0.9)
    assert decide(PolicyInput("When are your human agents available?", asks, answer_mode="evidence",
                              evidence_score=0.9, message_kind="question")).action == "knowledge_answer"
    assert decide(PolicyInput("Can I talk to a person?", asks, message_kind="request")).action == "handoff"


@pytest.mark.parametrize("text, answer_mode, action", [
    # the intent model alone reads a wish for a person; the message asks a question the documents answer
    ("I have three things I want to talk to the doctor about, is one appointment enough", "evidence",
     "knowledge_answer"),
    ("I want to discuss my membership with the manager - can I do that at the front desk?", "evidence",
     "knowledge_answer"),
    # the documents do not answer it: the intent still hands it off
    ("I have three things I want to talk to the doctor about, is one appointment enough", "abstain", "handoff"),
    # no question asked: a request for someone, whatever the documents say
    ("I want to sort this out with one of your staff", "evidence", "handoff"),
    # the customer's own words ask for a person: always a person
    ("I want to talk to a person, can you put me through?", "evidence", "handoff"),
])
def test_an_intent_alone_does_not_hand_off_a_question_the_documents_answer(text, answer_mode, action):
    wants_person = NLUResult(intent="contact_human_agent", confidence=0.8)
    decision = decide(PolicyInput(text, wants_person, answer_mode=answer_mode, evidence_score=0.9, min_score=0.8,
                                  message_kind="request"))
    assert decision.action == action


# -- dialogue manager ------------------------------------------------------------------------------------------
def test_knowledge_turn_states_the_evidence_and_stores_trace(settings, store):
    dm = manager(settings, store)
    chunks = list(dm.respond(None, "How long do refunds take?"))
    tokens = [c.text for c in chunks if c.kind == "token"]
    result = chunks[-1].result
    assert "".join(tokens) == result.reply
    assert "5 to 7 business days" in result.reply and "Refunds" in result.reply  # the evidence, cited by its title
    assert result.sources[0]["doc_id"] == "refunds" and result.sources[0]["evidence"]
    trace = result.trace
    assert trace["policy"]["action"] == "knowledge_answer"
    assert trace["answer"]["mode"] == "evidence" and trace["answer"]["evidence"]
    assert trace["message_kind"]["kind"] == "question"
    assert not dm.engine.calls  # the packaged model's style needs no generation
    stored = store.messages(result.conversation_id)
    assert [m["role"] for m in stored] == ["customer", "bot"]
    assert stored[1]["state"] == "complete" and stored[1]["trace"]["retrieval"]["hits"][0]["doc_id"] == "refunds"
    assert stored[1]["trace"]["answer"]["parts"][0]["evidence"][0]["text"].startswith("Refunds")


def test_a_turn_is_spell_corrected_once(settings, store):
    """The routing (question or request) and the answer read the same corrected question: one correction per turn,
    recorded once, in the answer's trace."""
    dm = manager(settings, store)
    calls = []
    correct = dm.answers.speller.correct
    dm.answers.speller.correct = lambda *a, **k: calls.append(a) or correct(*a, **k)
    r = dm.chat(None, "How long do reefunds take?")
    assert len(calls) == 1 and r.trace["message_kind"]["kind"] == "question"
    assert r.trace["answer"]["corrections"] == [{"from": "reefunds", "to": "refunds", "kind": "spelling"}]
    assert r.trace["answer"]["question"] == "How long do refunds take?" and "spelling_ms" in r.trace["timings_ms"]


def test_rewording_stands_only_when_verified(settings, store):
    faithful = FakeEngine(reply="Refunds reach the original payment method in 5 to 7 business days.")
    dm = manager(settings, store, engine=faithful, style="rephrase")
    r = dm.chat(None, "How long do refunds take?")
    assert r.trace["answer"]["mode"] == "rephrased" and r.trace["answer"]["verdict"]["ok"]
    assert r.reply.startswith("Refunds reach the original payment method in 5 to 7 business days.")
    # the passages reach the model as facts to reword, never as instructions
    assert "5 to 7 business days" in faithful.calls[0][-1]["content"]
    wrong = FakeEngine(reply="Refunds reach the original payment method in 2 to 3 business days.")
    r = manager(settings, store, engine=wrong, style="rephrase").chat(None, "How long do refunds take?")
    assert r.trace["answer"]["mode"] == "evidence" and "5 to 7" in r.reply and "2 to 3" not in r.reply
    assert "numbers" in r.trace["answer"]["rejected"][0]["reason"]
    looping = FakeEngine(reply="I will tell you your order id: " * 13)
    r = manager(settings, store, engine=looping, style="rephrase").chat(None, "How long do refunds take?")
    assert "order id" not in r.reply and r.trace["answer"]["rejected"]


def test_second_turn_continues_conversation(settings, store):
    dm = manager(settings, store)
    first = dm.chat(None, "How long do refunds take?")
    second = dm.chat(first.conversation_id, "And for gift cards?")
    assert second.conversation_id == first.conversation_id
    assert len(store.messages(first.conversation_id)) == 4
    assert second.trace["answer"]["followup"]["previous"] == "How long do refunds take?"


def test_bad_input_is_refused_and_nothing_lost(settings, store):
    dm = manager(settings, store)
    first = dm.chat(None, "How long do refunds take?")
    for bad in ["", "   ", "x" * 20_000]:
        r = dm.chat(first.conversation_id, bad)
        assert r.error in ("empty", "too_long") and r.reply
    assert len(store.messages(first.conversation_id)) == 2
    with pytest.raises(ValueError, match="Unknown conversation"):
        dm.chat("c_doesnotexist", "hi")


def test_chinese_question_gets_chinese_evidence_answer(settings, store):
    kb = FakeKnowledge([hit(0.9, title="退款政策", text="退款将在5到7个工作日内退回原支付方式。礼品卡退款立即到账。")])
    dm = manager(settings, store, knowledge=kb)
    r = dm.chat(None, "退款需要多久？")
    assert "5到7个工作日" in r.reply and r.reply.startswith("根据《退款政策》") and r.trace["language"] == "zh"
    assert r.trace["generation"]["mode"] == "evidence"


def test_handoff_silences_bot_and_counts_queue(settings, store):
    dm = manager(settings, store)
    a = dm.chat(None, "I want to talk to a person")
    b = dm.chat(None, "let me speak to a human please")
    assert a.status == "waiting" and "you are next" in a.reply
    assert "one customer is ahead of you" in b.reply
    after = dm.chat(a.conversation_id, "hello?")
    assert after.reply == "" and after.trace["policy"]["action"] == "human_owned"
    assert store.get_conversation(a.conversation_id)["handoff_reason"] == "customer_request"


def test_busy_engine_gets_polite_answer(settings, store):
    dm = manager(settings, store, engine=FakeEngine(busy=True), style="rephrase")
    r = dm.chat(None, "How long do refunds take?")
    assert r.error == "busy" and "again" in r.reply
    assert store.messages(r.conversation_id)[-1]["state"] == "error"


def test_concurrent_turns_in_one_conversation_are_serialised(settings, store):
    dm = manager(settings, store)
    cid = dm.chat(None, "hi").conversation_id
    threads = [threading.Thread(target=dm.chat, args=(cid, f"question {i} about refunds")) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    roles = [m["role"] for m in store.messages(cid)]
    assert roles == ["customer", "bot"] * 7


def test_policy_inside_desk_flow():
    email_as_contact = NLUResult(intent="contact_human_agent", confidence=0.8)
    d = decide(PolicyInput("emma.smith3991@example.com", email_as_contact, desk_wants=True))
    assert d.action == "tool_flow"
    polite_no = NLUResult(sentiment="negative")
    assert decide(PolicyInput("No thanks, I'll keep the order.", polite_no, desk_wants=True,
                              recent_negative_turns=2)).action == "tool_flow"
    angry = NLUResult(sentiment="negative", emotions=["anger"])
    assert decide(PolicyInput("this is ridiculous, third time!", angry, desk_wants=True,
                              recent_negative_turns=2)).action == "handoff"


def test_small_talk_by_intent():
    hello = NLUResult(intent="greeting", confidence=0.9)
    assert decide(PolicyInput("Hello there", hello)).small_talk == "greeting"
    assert decide(PolicyInput("Hello there, how long do refunds take for gift cards?", hello, answer_mode="evidence",
                              evidence_score=0.8)).action == "knowledge_answer"


def test_the_conversation_is_announced_before_the_turn_runs(settings, store):
    # a customer may ask for a person while the first answer is still being written: the UI needs the id at once
    dm = manager(settings, store)
    chunks = dm.respond(None, "How long do refunds take?")
    first = next(chunks)
    assert first.kind == "started" and first.result.conversation_id
    assert store.exists(first.result.conversation_id) and store.messages(first.result.conversation_id) == []
    rest = list(chunks)
    assert rest[-1].kind == "final" and rest[-1].result.conversation_id == first.result.conversation_id


def test_a_followup_refers_to_an_unanswered_question_too(settings, store):
    """The customer's "and for gift cards?" is about the question before it, answered or not."""
    knowledge = FakeKnowledge([hit()])
    composer = AnswerComposer(knowledge, knowledge.embedder.embed, engine=FakeEngine(), style="evidence",
                              min_score=0.999999)
    dm = DialogueManager(settings, store, engine=FakeEngine(), knowledge=knowledge, answers=composer)
    first = dm.chat(None, "How long do refunds take?")
    assert first.trace["answer"]["mode"] == "abstain"
    second = dm.chat(first.conversation_id, "And for gift cards?")
    assert second.trace["answer"]["followup"]["previous"] == "How long do refunds take?"


def test_an_answer_records_the_documents_a_followup_looks_in_first(settings, store):
    dm = manager(settings, store)
    first = dm.chat(None, "How long do refunds take?")
    recorded = store.events(first.conversation_id, types=("answered",))[-1]["payload"]
    assert recorded["doc_ids"] == [s["doc_id"] for s in first.sources]
    goes_on = dm.chat(first.conversation_id, "And do refunds to a credit card take that long too?")
    assert goes_on.trace["answer"]["followup"]["doc_ids"] == recorded["doc_ids"]
    other = dm.chat(goes_on.conversation_id, "And for gift cards?")
    assert other.trace["answer"]["followup"]["doc_ids"] == recorded["doc_ids"]


def test_an_answer_records_the_units_a_followups_counterpart_is_read_against(settings, store):
    """followup_evidence.py: the stated units (where each came from, what it said) go to the next turn's follow-up;
    an unanswered question records its best unit, not stated."""
    dm = manager(settings, store)
    first = dm.chat(None, "How long do refunds take?")
    recorded = store.events(first.conversation_id, types=("answered",))[-1]["payload"]
    assert recorded["units"] and all(u["stated"] for u in recorded["units"])
    assert [u["text"] for u in recorded["units"]] == first.trace["answer"]["evidence"][:4]
    other = dm.chat(first.conversation_id, "And for gift cards?")
    assert other.trace["answer"]["followup"]["units"] == recorded["units"]


@pytest.mark.parametrize("names, action", [
    ((), "decline_out_of_scope"),
    (("classic",), "clarify"),
])
def test_an_unanswered_question_naming_what_the_documents_name_is_a_knowledge_gap(names, action):
    """Out of scope to the intent model, far below the threshold, yet it names what the documents name ("how many
    bags can I check on a Classic ticket?"): the business's subject, not "I can only help with ..."."""
    oos = NLUResult(intent="delivery_options", confidence=0.4, out_of_scope=True)
    decision = decide(PolicyInput("how many bags can i check on a classic ticket?", oos, answer_mode="abstain",
                                  evidence_score=0.3, min_score=0.8, message_kind="question", names_in_documents=names))
    assert decision.action == action
    assert all(name in decision.reason for name in names)


@pytest.mark.parametrize("held, action", [
    ((), "decline_out_of_scope"),
    (("laptop", "charg", "week"), "clarify"),
])
def test_an_unanswered_question_in_the_documents_words_is_a_knowledge_gap(held, action):
    """Out of scope to the intent model (taught the shop's intents), far below the threshold, yet most of its words
    are the documents' (components/answers/document_vocabulary.py): the business's subject, not "I can only help
    with kefu Demo Shop ..."."""
    oos = NLUResult(intent="product_availability", confidence=0.1, out_of_scope=True)
    decision = decide(PolicyInput("My laptop stopped charging after 3 weeks. what are my options?", oos,
                                  answer_mode="abstain", evidence_score=0.3, min_score=0.8, message_kind="question",
                                  words_in_documents=held))
    assert decision.action == action
    assert all(word in decision.reason for word in held)


@pytest.mark.parametrize("names_a_product, action", [(False, "decline_out_of_scope"), (True, "clarify")])
def test_an_unanswered_question_naming_one_of_the_shops_products_is_a_knowledge_gap(names_a_product, action):
    """"what's the warranty on headphones?": out of scope to the intent model and nothing close in the help
    articles, but what the shop sells is its subject: not "I can only help with ..."."""
    oos = NLUResult(intent="product_availability", confidence=0.3, out_of_scope=True)
    decision = decide(PolicyInput("what's the warranty on headphones?", oos, answer_mode="abstain",
                                  evidence_score=0.2, min_score=0.8, message_kind="question",
                                  names_a_product=names_a_product))
    assert decision.action == action


@pytest.mark.parametrize("question, action", [
    ("Can I bring my dog to Linford?", "clarify"),       # the passages write "Linford" as a name
    ("What's the weather like in Paris today?", "decline_out_of_scope"),
    ("Tell me a joke about clinics", "decline_out_of_scope"),   # "clinics" is written in lower case
])
def test_the_names_come_from_the_passages_the_composer_retrieved(settings, store, question, action):
    from components.nlu.result import NLUResult

    class OutOfScope:
        def parse(self, text):
            return NLUResult(intent="unknown", out_of_scope=True, language="en")

    passage = hit(0.2, title="Clinics", text="Our clinics are open on weekdays. The Linford clinic takes card "
                                             "payments; at Linford there is no cash desk.")
    knowledge = FakeKnowledge([passage])
    composer = AnswerComposer(knowledge, knowledge.embedder.embed, engine=FakeEngine(), style="evidence",
                              min_score=0.999999)
    dm = DialogueManager(settings, store, engine=FakeEngine(), knowledge=knowledge, nlu=OutOfScope(),
                         answers=composer)
    r = dm.chat(None, question)
    assert r.trace["policy"]["action"] == action, r.trace["policy"]


def test_a_followup_refers_to_a_question_declined_as_out_of_scope_too(settings, store):
    """"Can I pay cash at Linford?" declined as out of scope (the intent model's guess, nothing confident found) is
    still what "ok and at Cedar Quay?" refers to."""
    from components.nlu.result import NLUResult

    class OutOfScope:
        def parse(self, text):
            return NLUResult(intent="unknown", out_of_scope=True, language="en")

    knowledge = FakeKnowledge([])  # nothing found: the policy's out-of-scope decline, whatever the model's confidence
    composer = AnswerComposer(knowledge, knowledge.embedder.embed, engine=FakeEngine(), style="evidence",
                              min_score=0.999999)
    dm = DialogueManager(settings, store, engine=FakeEngine(), knowledge=knowledge, nlu=OutOfScope(),
                         answers=composer)
    first = dm.chat(None, "Can I pay cash at Linford?")
    assert first.trace["policy"]["action"] == "decline_out_of_scope"
    second = dm.chat(first.conversation_id, "ok and at Cedar Quay?")
    assert second.trace["answer"]["followup"]["previous"] == "Can I pay cash at Linford?"
    assert second.trace["answer"]["question"] == "Can I pay cash at Cedar Quay?"


def test_a_statement_going_on_from_a_question_is_read_as_a_question(settings, store):
    """"ok. and my name is misspelled on it" after a knowledge question is about that question (the routing is told
    a question came before); the same words opening a conversation are a statement the desk may take."""
    dm = manager(settings, store)
    first = dm.chat(None, "How long do refunds take?")
    statement = "ok. and my surname is spelled wrong on it, two letters are off"
    goes_on = dm.chat(first.conversation_id, statement)
    assert goes_on.trace["message_kind"]["kind"] == "question", goes_on.trace["message_kind"]
    assert dm.chat(None, statement).trace["message_kind"]["kind"] == "request"


def test_every_part_a_question_gets_the_documents_first_when_they_answer_each(settings, store, shop):
    """"When will my refund arrive? And do refunds go back to my card?": a request worded as a question beside an information
    question. The documents answer both (then the offer); when they cannot, the desk takes it as before; alone, the
    request goes to the desk."""
    from components.orders.order_desk import OrderDesk
    both = "When will my refund arrive? And do refunds go back to the original payment method?"
    answered = manager(settings, store, desk=OrderDesk(shop)).chat(None, both)
    assert answered.trace["policy"]["action"] == "knowledge_answer", answered.trace["policy"]
    assert answered.trace["message_kind"]["kind"] == "question" and "5 to 7 business days" in answered.reply
    knowledge = FakeKnowledge([hit()])
    silent = AnswerComposer(knowledge, knowledge.embedder.embed, engine=FakeEngine(), style="evidence",
                            min_score=0.999999)
    dm = DialogueManager(settings, store, engine=FakeEngine(), knowledge=knowledge, answers=silent,
                         desk=OrderDesk(shop))
    to_desk = dm.chat(None, both).trace
    assert to_desk["policy"]["action"] == "tool_flow" and not to_desk["documents_first"]["answered_every_part"]
    alone = manager(settings, store, desk=OrderDesk(shop)).chat(None, "When will my refund arrive?")
    assert alone.trace["policy"]["action"] == "tool_flow"
