"""The chat tab's handlers as Gradio calls them: registered closures whose annotations Gradio reads (a real
gr.LikeData and gr.Request injected by gradio.helpers.special_args), on real SQLite with a fake model/KB."""
from __future__ import annotations

import warnings
from types import SimpleNamespace

import gradio as gr
import pytest
from gradio.helpers import special_args

from components.analytics.kpis import kpis_for
from components.console.operator_desk import OperatorDesk
from components.dialogue.dialogue_manager import DialogueManager
from components.privacy.rate_limiter import RateLimiter
from components.services import StartupStatus
from components.settings import Settings
from components.storage.conversation_store import ConversationStore
from components.ui.chat_tab import build_chat_tab
from tests.fakes import FakeEngine, FakeKnowledge, hit


@pytest.fixture
def chat(tmp_path):
    store = ConversationStore(tmp_path / "kefu.sqlite3")
    knowledge = FakeKnowledge([hit()])
    dialogue = DialogueManager(Settings(data_dir=tmp_path), store, engine=FakeEngine(), knowledge=knowledge)
    startup = StartupStatus()
    startup.finish()
    services = SimpleNamespace(store=store, dialogue=dialogue, knowledge=None, startup=startup,
                               operators=OperatorDesk(store, dialogue, knowledge=knowledge),
                               rate_limiter=RateLimiter(per_minute=1, burst=3))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with gr.Blocks() as demo:
            build_chat_tab(services)
    assert not [w for w in caught if "Expected" in str(w.message)], [str(w.message) for w in caught]
    handlers = {fn.fn.__name__: fn.fn for fn in demo.fns.values() if fn.fn is not None}
    yield services, handlers
    store.close()


def _call(fn, inputs, request=None, event=None):
    """What Gradio does: special arguments (gr.Request, gr.LikeData) go where the annotations say."""
    args, *_ = special_args(fn, list(inputs), request, event)
    return fn(*args)


def _text(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else " ".join(block.get("text", "") for block in content)


def _turn(handlers, message, cid="", ids=None, session="session-a"):
    request = gr.Request(session_hash=session)
    outputs = list(_call(handlers["respond"], [message, [], cid, ids or {}, 0, {}, "", "en"], request))
    return outputs[-1]


def test_a_thumb_through_the_like_event_is_stored_and_counted(chat):
    services, handlers = chat
    box, view, cid, ids, seen, mode = _turn(handlers, "How long do refunds take?")
    assert cid and ids, "the bot answer has a message id"
    index, message_id = next(iter(ids.items()))
    assert view.value is not None
    event = gr.LikeData(None, {"index": int(index), "value": "Refunds take", "liked": False})
    ratings = _call(handlers["liked"], [ids, cid, {}], gr.Request(session_hash="session-a"), event)
    assert ratings == {index: "Dislike"}
    assert services.store.get_message(message_id)["rating"] == -1
    kpis = kpis_for(services.store)
    assert (kpis["thumbs_up"], kpis["thumbs_down"]) == (0, 1)


def test_the_thumb_stays_when_the_chat_is_redrawn(chat):
    services, handlers = chat
    box, first_view, cid, ids, seen, mode = _turn(handlers, "How long do refunds take?")
    index = next(iter(ids))
    history = list(first_view.value)
    ratings = _call(handlers["liked"], [ids, cid, {}], None, gr.LikeData(None, {"index": int(index), "value": "",
                                                                                   "liked": True}))
    claim = services.operators.claim(cid, "dana")
    services.operators.agent_reply(cid, "dana", "Hi, Dana here.")
    assert claim["status"] == "human"
    view, last_seen, new_mode = _call(handlers["polled"], [history, cid, 0, ratings, "bot", "en"])
    contents = [_text(m) for m in view.value]
    assert any("Dana here" in c for c in contents) and any("joined" in c for c in contents)
    # the feedback list follows the assistant messages in order: the rated answer keeps its thumb
    assistant_indices = [i for i, m in enumerate(view.value) if m["role"] == "assistant"]
    kept = dict(zip(assistant_indices, view.feedback_value))
    assert kept[int(index)] == "Like"
    assert new_mode == "human"


def test_typed_messages_are_rate_limited_per_session(chat):
    services, handlers = chat
    replies = [_turn(handlers, f"How long do refunds take? ({i})", session="burst") for i in range(4)]
    stored = services.store.list_conversations(limit=100)
    assert len(stored) == 3, "the burst allows three messages, the fourth is refused and not stored"
    last_view = replies[-1][1]
    assert "second" in _text(last_view.value[-1]).lower()
    # another browser session is not affected
    assert _turn(handlers, "How long do refunds take?", session="other")[2]


def test_stop_marks_the_answer_stopped_and_stores_it_interrupted(chat):
    services, handlers = chat
    request = gr.Request(session_hash="stopper")
    stream = handlers["respond"](*special_args(handlers["respond"], ["How long do refunds take?", [], "", {}, 0, {},
                                                                        "", "en"], request, None)[0])
    outputs = next(stream)  # the "started" chunk: the answer is being written
    _call(handlers["stop_clicked"], [], request)
    for outputs in stream:
        pass
    view, cid, ids = outputs[1], outputs[2], outputs[3]
    assert "stopped" in _text(view.value[-1])
    message = services.store.get_message(next(iter(ids.values())))
    assert message["state"] == "interrupted"


@pytest.mark.parametrize("ahead, language, words", [
    (0, "en", "you are next"), (1, "en", "one customer is ahead of you"), (3, "en", "three customers are ahead"),
    (14, "en", "14 customers are ahead"), (0, "zh", "您是下一位"), (2, "zh", "您前面还有两位客户"),
])
def test_queue_position_in_words(ahead, language, words):
    from components.console.queue_position import handoff_notice

    assert words in handoff_notice(ahead, language)
