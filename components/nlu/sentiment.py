"""Sentiment (negative / neutral / positive, score -1..1) and emotion cues for one customer message, plus the trend
over a conversation.

English uses VADER (vaderSentiment, a lexicon and rules tuned on social-media text); Chinese uses SnowNLP's
naive-Bayes model trained on product reviews. Both libraries ship their data, nothing is downloaded. On top, short
cue lists mark what matters to a support desk and the libraries miss: frustration ("this is the third time",
"还没收到"), anger ("ridiculous", "投诉", "气死"), urgency and gratitude. Frustration or anger makes the turn
negative whatever the library said.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

# Cue phrases. English ones are matched on word boundaries, case-insensitively; Chinese ones as substrings.
_CUES_EN: dict[str, list[str]] = {
    "frustration": [
        r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time", r"how many times",
        r"(?:still|yet) (?:not|no|haven'?t|hasn'?t|have not|has not|nothing|waiting)", r"again and again",
        r"keep(?:s)? (?:happening|failing|getting)", r"fed up", r"sick (?:and tired )?of", r"tired of",
        r"for (?:days|weeks|months|ages)", r"been waiting", r"never (?:arrived|came|received|got)",
        r"(?:nobody|no one) (?:helps|answers|replies)", r"waste of (?:my )?time", r"useless", r"doesn'?t work",
        r"not working", r"what is going on", r"what's going on", r"come on", r"give up",
        r"already (?:told|asked|explained)",
    ],
    "anger": [
        r"ridiculous", r"unacceptable", r"outrageous", r"absurd", r"disgusting", r"pathetic", r"terrible",
        r"horrible", r"awful", r"worst", r"scam(?:mer)?s?", r"fraud", r"rip[- ]?off", r"angry", r"furious",
        r"pissed", r"livid", r"hate", r"incompetent", r"f+u+c+k+(?:ing|ed)?", r"shit(?:ty)?", r"crap(?:py)?",
        r"goddamn", r"liars?", r"sue you", r"lawyer", r"report you", r"damn", r"wtf", r"bullshit",
        r"(?:file|make|lodge) a complaint", r"complain(?:ing)?", r"shame on you",
    ],
    "urgency": [r"urgent(?:ly)?", r"asap", r"as soon as possible", r"immediately", r"right now", r"emergency",
                r"hurry"],
    "gratitude": [r"thanks?(?: you)?", r"thx", r"appreciate(?:d)?", r"grateful",
                  r"you(?:'re| are) (?:great|awesome|the best)", r"perfect", r"great help"],
}
_CUES_ZH: dict[str, list[str]] = {
    "frustration": ["第二次", "第三次", "第四次", "好几次", "多少次", "又是", "又没", "又来", "又一次", "还没",
                    "还是没", "怎么还", "一直没", "一直不", "等了", "等很久", "好久", "到底", "无语", "烦死", "好烦",
                    "很烦", "烦人", "受够", "没人理", "没人管", "没用", "说了多少遍", "催"],
    "anger": ["投诉", "气死", "生气", "愤怒", "垃圾", "骗子", "欺骗", "太差", "很差", "差劲", "离谱", "恶心", "什么破",
              "坑人", "坑爹", "忍无可忍", "举报", "曝光", "滚", "妈的", "tmd", "退钱", "诈骗", "黑心", "过分"],
    "urgency": ["紧急", "着急", "急用", "马上", "立刻", "尽快", "赶紧", "今天必须"],
    "gratitude": ["谢谢", "感谢", "多谢", "辛苦了", "满意", "太好了", "给力", "点赞"],
}
_EN_PATTERNS = {emotion: re.compile(r"\b(?:" + "|".join(cues) + r")\b", re.IGNORECASE)
                for emotion, cues in _CUES_EN.items()}
_NEGATIVE_EMOTIONS = ("anger", "frustration")

# VADER's lexicon is tuned on tweets. At a support desk these words name the task, not a feeling ("I'd like to
# cancel", "a problem with my payment", "can you help", "yes please"), so they carry no sentiment here.
_SUPPORT_TASK_WORDS = ("cancel", "cancelled", "cancelling", "canceled", "problem", "problems", "error", "errors",
                       "trouble", "lost", "pay", "charged", "help", "helped", "please", "support", "want", "like",
                       "yes", "no", "ok", "okay", "sure", "fine", "care", "save", "free", "share", "easy",
                       "true", "agree", "reset", "stop", "delay", "delayed", "leave", "miss", "missed", "block",
                       "blocked", "dispute", "fee", "fees")


def emotion_cues(text: str, language: str | None = None) -> list[str]:
    """Emotions whose cues appear in the text, in a fixed order: anger, frustration, urgency, gratitude."""
    text = text or ""
    found = set()
    for emotion, pattern in _EN_PATTERNS.items():
        if pattern.search(text):
            found.add(emotion)
    if language != "en":
        for emotion, cues in _CUES_ZH.items():
            if any(cue in text for cue in cues):
                found.add(emotion)
    if re.search(r"[!！]{3,}", text) or (len(re.findall(r"\b[A-Z]{4,}\b", text)) >= 2):
        found.add("anger")  # shouting
    return [e for e in ("anger", "frustration", "urgency", "gratitude") if e in found]


@dataclass
class Sentiment:
    label: str                 # negative | neutral | positive
    score: float               # -1 .. +1
    emotions: list[str] = field(default_factory=list)


class SentimentAnalyzer:
    """Per-turn sentiment for English and Chinese; thread-safe, libraries loaded on first use."""

    # VADER compound thresholds (the authors' ±0.05 flags almost every tweet with one emotive word as
    # non-neutral; these were chosen on the TweetEval validation split, never on its test split)
    EN_NEGATIVE = -0.2
    EN_POSITIVE = 0.35
    # SnowNLP says P(positive); neutral service requests land around 0.1-0.3, so only clear cases count
    ZH_NEGATIVE = 0.05
    ZH_POSITIVE = 0.75

    def __init__(self) -> None:
        self._vader = None
        self._lock = threading.Lock()

    def _vader_analyzer(self):
        if self._vader is None:
            with self._lock:
                if self._vader is None:
                    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                    analyzer = SentimentIntensityAnalyzer()
                    for word in _SUPPORT_TASK_WORDS:
                        analyzer.lexicon.pop(word, None)
                    self._vader = analyzer
        return self._vader

    def warm_up(self) -> None:
        """Load both libraries now (SnowNLP reads its models at import: seconds), not on a customer's turn."""
        self._vader_analyzer()
        self._chinese("你好")

    def _english(self, text: str) -> tuple[str, float]:
        score = float(self._vader_analyzer().polarity_scores(text)["compound"])
        label = "negative" if score <= self.EN_NEGATIVE else "positive" if score >= self.EN_POSITIVE else "neutral"
        return label, score

    def _chinese(self, text: str) -> tuple[str, float]:
        from snownlp import SnowNLP

        try:
            p = float(SnowNLP(text).sentiments)
        except (ZeroDivisionError, ValueError, KeyError):  # texts with no usable characters
            p = 0.5
        label = "negative" if p <= self.ZH_NEGATIVE else "positive" if p >= self.ZH_POSITIVE else "neutral"
        return label, round(2 * p - 1, 4)

    def analyze(self, text: str, language: str = "en") -> Sentiment:
        text = (text or "").strip()
        if not text:
            return Sentiment("neutral", 0.0, [])
        label, score = self._chinese(text) if language == "zh" else self._english(text)
        emotions = emotion_cues(text, language)
        if any(e in emotions for e in _NEGATIVE_EMOTIONS):
            label, score = "negative", min(score, -0.5)
        elif "gratitude" in emotions and label == "neutral":
            label, score = "positive", max(score, 0.3)
        return Sentiment(label, round(score, 4), emotions)


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
