"""What the bot could not answer, grouped into topics, and a FAQ draft per topic for an agent to publish.

A *gap question* is the customer message before a bot turn that
- found nothing (policy action clarify or decline_out_of_scope)            -> signal `nothing_found`
- answered from weak evidence (knowledge answer whose best retrieval score
  was within `low_margin` of the threshold)                                -> signal `low_confidence`
- was handed to a person because nothing was found in consecutive turns    -> signal `missing_knowledge_handoff`
- got a thumbs-down from the customer (on an answer, not on small talk
  or a handoff notice)                                                     -> signal `thumbs_down`

Identical questions (case and spacing ignored) are merged with their counts; the distinct questions are embedded
with the shared sentence embedder and grouped by agglomerative clustering on cosine distance. A topic is labelled
by its most central question. From a topic, `draft_faq` writes a draft (from the model, grounded in whatever the
knowledge base has nearby, or a template with placeholders) that an agent edits and publishes with `publish_faq`
as a curated answer.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from components.analytics.kpis import ANSWER_ACTIONS, NOTHING_FOUND_ACTIONS, AnalyticsFilter, load_frames
from components.nlu.cjk_characters import HAN_UNIFIED
from components.storage.conversation_store import ConversationStore

log = logging.getLogger(__name__)

SIGNALS = ("nothing_found", "low_confidence", "missing_knowledge_handoff", "thumbs_down")
SIGNAL_LABELS = {"nothing_found": "nothing found", "low_confidence": "low confidence",
                 "missing_knowledge_handoff": "handed over (missing knowledge)", "thumbs_down": "thumbs down"}
PLACEHOLDER = re.compile(r"\[(write|fill|add|answer)[^\]]*\]", re.I)


@dataclass
class GapTopic:
    topic_id: int
    label: str                                   # the most central question
    count: int                                   # gap turns in the topic (repeats included)
    distinct_questions: int
    signals: dict = field(default_factory=dict)  # signal -> count
    examples: list = field(default_factory=list)  # up to 5 distinct questions, most frequent first
    conversation_ids: list = field(default_factory=list)
    last_seen: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def gap_questions(store: ConversationStore, flt: AnalyticsFilter | None = None, *,
                  low_margin: float = 0.10) -> pd.DataFrame:
    """One row per gap turn: question, signal, conversation_id, message_id, created_at.

    The turns come from the analytics frames (trace fields already parsed); only the question texts are read."""
    columns = ["question", "signal", "conversation_id", "message_id", "created_at"]
    bot = load_frames(store, flt or AnalyticsFilter()).bot_turns
    if bot.empty:
        return pd.DataFrame(columns=columns)
    threshold = bot.min_score.fillna(0.35)
    signal = pd.Series(None, index=bot.index, dtype=object)
    signal[(bot.action == "knowledge_answer") & (bot.best_score < threshold + low_margin)] = "low_confidence"
    signal[bot.action.isin(["clarify", "decline_out_of_scope"])] = "nothing_found"
    signal[bot.policy_handoff_reason == "repeated_failure"] = "missing_knowledge_handoff"
    signal[(bot.rating == -1) & bot.action.isin(ANSWER_ACTIONS + NOTHING_FOUND_ACTIONS)] = "thumbs_down"
    gaps = bot.loc[signal.notna(), ["id", "conversation_id", "created_at"]].assign(signal=signal[signal.notna()])
    if gaps.empty:
        return pd.DataFrame(columns=columns)
    questions = store.questions_before(gaps.id.astype(int).tolist())
    gaps["question"] = gaps.id.map(questions)
    gaps = gaps[gaps.question.notna() & (gaps.question.astype(str).str.strip().str.len() > 0)]
    return gaps.rename(columns={"id": "message_id"})[columns].reset_index(drop=True)


def find_knowledge_gaps(store: ConversationStore, embedder, flt: AnalyticsFilter | None = None, *,
                        distance_threshold: float = 0.5, max_questions: int = 1500,
                        low_margin: float = 0.10) -> list[GapTopic]:
    """Gap questions grouped into topics, biggest topic first. [] when there is nothing to group."""
    rows = gap_questions(store, flt, low_margin=low_margin)
    if rows.empty:
        return []
    rows["question"] = rows.question.map(lambda q: re.sub(r"\s+", " ", str(q)).strip())
    rows["key"] = rows.question.str.lower()
    # the most recent distinct questions, with how often each came up
    distinct = (rows.groupby("key").agg(question=("question", "last"), count=("question", "size"),
                                         last_seen=("created_at", "max"))
                .sort_values("last_seen", ascending=False).head(max_questions))
    vectors = np.asarray(embedder.embed(distinct.question.tolist()), dtype=np.float32)
    labels = cluster_questions(vectors, distance_threshold)
    distinct["topic"] = labels
    rows = rows[rows.key.isin(distinct.index)]
    rows = rows.assign(topic=rows.key.map(distinct.topic))
    topics = []
    for label, members in distinct.groupby("topic"):
        idx = [distinct.index.get_loc(k) for k in members.index]
        central = members.index[_medoid(vectors[idx])]
        turns = rows[rows.topic == label]
        by_count = members.sort_values(["count", "last_seen"], ascending=False)
        topics.append(GapTopic(
            topic_id=0, label=str(members.loc[central, "question"]).strip(), count=int(len(turns)),
            distinct_questions=int(len(members)), signals=dict(Counter(turns.signal)),
            examples=[str(q).strip() for q in by_count.question.head(5)],
            conversation_ids=list(dict.fromkeys(turns.conversation_id.tolist()))[:20],
            last_seen=float(members.last_seen.max())))
    topics.sort(key=lambda t: (-t.count, -t.last_seen))
    for i, topic in enumerate(topics, 1):
        topic.topic_id = i
    return topics


def cluster_questions(vectors: np.ndarray, distance_threshold: float) -> np.ndarray:
    """Topic label per row of L2-normalised vectors; average-linkage agglomerative clustering on cosine distance."""
    if not 0 < distance_threshold < 2:
        raise ValueError("distance_threshold is a cosine distance between 0 and 2")
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(n_clusters=None, distance_threshold=distance_threshold, metric="cosine",
                                    linkage="average")
    return model.fit_predict(vectors)


def _medoid(vectors: np.ndarray) -> int:
    centre = vectors.mean(axis=0)
    return int(np.argmax(vectors @ centre))


def topics_table(topics: list[GapTopic]) -> pd.DataFrame:
    """The topics as rows for a table in the UI."""
    columns = ["topic", "questions", "count", "signals", "examples"]
    rows = [{"topic": t.topic_id, "questions": t.label, "count": t.count,
             "signals": ", ".join(f"{SIGNAL_LABELS.get(k, k)} {v}" for k, v in
                                  sorted(t.signals.items(), key=lambda kv: -kv[1])),
             "examples": " | ".join(t.examples[:3])} for t in topics]
    return pd.DataFrame(rows, columns=columns)


# ------------------------------------------------------------------------------------------------ FAQ drafts
def draft_faq(topic: GapTopic, *, answers=None, knowledge=None) -> dict:
    """A FAQ entry for an agent to edit: {question, answer, mode, sources}.

    mode "evidence": the answer composer (the one the bot answers with) found knowledge-base sentences that bear on
    the question; they are the draft, cited (the topic is a gap because they did not answer it confidently, so
    check them); mode "template": an answer with a [write …] placeholder that must be replaced before publishing."""
    question = _as_question(topic.label)
    asked = "\n".join(f"- {q}" for q in topic.examples[:5])
    sources: list[dict] = []
    if answers is not None:
        try:
            composed = answers.compose(question, "zh" if _is_chinese(question) else "en")
            near = [c for p in composed.parts for c in p.candidates[:2]]
            sources = composed.sources or [{"title": c.unit.source_title, "doc_id": c.unit.doc_id,
                                            "score": round(c.score, 4), "evidence": c.unit.text} for c in near]
            if not composed.abstained and composed.evidence_texts:
                return {"question": question, "answer": composed.plain_text(), "mode": "evidence",
                        "sources": sources,
                        "note": "Drafted from the knowledge-base sentences below (the bot found them too weak to "
                                "answer on its own); check every fact before publishing.\nCustomers asked:\n" + asked}
        except Exception:  # a draft without evidence is still useful
            log.exception("evidence for a FAQ draft failed")
    elif knowledge is not None:
        try:
            sources = [{"title": h.title, "doc_id": h.doc_id, "score": round(float(h.score), 4)}
                       for h in knowledge.search(question, k=3)]
        except Exception:
            log.exception("knowledge search for a FAQ draft failed")
    related = "\n".join(f"- {s['title']} ({s['score']:.2f})" for s in sources) or "- nothing related"
    answer = "[Write the answer customers need here.]"
    return {"question": question, "answer": answer, "mode": "template", "sources": sources,
            "note": f"Customers asked:\n{asked}\nRelated knowledge-base passages:\n{related}"}


def publish_faq(knowledge, question: str, answer: str, *, agent: str = "agent", store=None,
                topic: GapTopic | None = None) -> dict:
    """Add the edited FAQ entry to the knowledge base as a curated answer; audited when a store is given."""
    question, answer = (question or "").strip(), (answer or "").strip()
    if not question or not answer:
        raise ValueError("Write both the question and the answer before publishing.")
    if PLACEHOLDER.search(answer) or PLACEHOLDER.search(question):
        raise ValueError("Replace the [Write …] placeholder with the real answer before publishing.")
    if knowledge is None:
        raise ValueError("The knowledge base is not available yet; wait until start-up has finished.")
    doc_id = knowledge.add_curated_answer(question, answer, source=f"analytics-gap:{agent}")
    if store is not None:
        store.audit(agent, "teach_gap", None, {"doc_id": doc_id, "question": question,
                                               "topic": topic.label if topic else None})
    return {"doc_id": doc_id, "question": question, "answer": answer}


def _as_question(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in "?？" else (text.rstrip(".!。！") + ("？" if _is_chinese(text) else "?"))


def _is_chinese(text: str) -> bool:
    return bool(re.search(f"[{HAN_UNIFIED}]", text))
