"""What understanding one customer message produces. Pure data: stored in the turn's trace."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class NLUResult:
    intent: str = "unknown"          # best intent label of the active pack(s)
    confidence: float = 0.0          # calibrated probability of `intent`
    out_of_scope: bool = False       # True when the pack's "out_of_scope" intent wins or confidence < threshold
    #                                  (`intent` then still holds the best guess)
    top_intents: list[tuple[str, float]] = field(default_factory=list)  # best few (label, probability)
    domain: str = "ecommerce"        # which intent pack produced `intent`
    sentiment: str = "neutral"       # negative | neutral | positive
    sentiment_score: float = 0.0     # -1 (very negative) .. +1 (very positive)
    emotions: list[str] = field(default_factory=list)  # anger, frustration, urgency, confusion, gratitude
    emotion_scores: dict[str, float] = field(default_factory=dict)       # emotion -> 0..1
    emotion_triggers: dict[str, list[str]] = field(default_factory=dict)  # emotion -> the words that showed it
    language: str = "en"             # ISO 639-1: "zh" or "en" at least
    entities: dict[str, str] = field(default_factory=dict)  # order_id, email, zip, ... found in the text
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)
