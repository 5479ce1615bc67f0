"""Emotions a support desk acts on — anger, frustration, urgency (anxiety included), confusion, gratitude — per turn
with a score and the words that triggered them, and their trend over a conversation.

Cue phrases, not a learned model: a support desk needs to see *why* a turn was marked (the glass box shows the
trigger words), and the cues are the desk's own vocabulary ("this is the third time", "还没收到", "I don't
understand"). English cues match on word boundaries, case-insensitively; Chinese cues as substrings. A score is
0.5 for one cue, +0.2 for each further cue of the same emotion, +0.2 when the message shouts (three or more
exclamation marks, or two or more all-capital words) for anger and urgency; capped at 1.
"""
from __future__ import annotations

import re

EMOTIONS = ("anger", "frustration", "urgency", "confusion", "gratitude")
NEGATIVE_EMOTIONS = ("anger", "frustration")

_CUES_EN: dict[str, list[str]] = {
    "frustration": [
        r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time", r"how many times",
        r"(?:still|yet) (?:not|no|haven'?t|hasn'?t|have not|has not|nothing|waiting)", r"again and again",
        r"keep(?:s)? (?:happening|failing|getting)", r"fed up", r"sick (?:and tired )?of", r"tired of",
        r"for (?:days|weeks|months|ages)", r"been waiting", r"never (?:arrived|came|received|got)",
        r"(?:nobody|no one) (?:helps|answers|replies)", r"waste of (?:my )?time", r"useless", r"doesn'?t work",
        r"not working", r"what is going on", r"what's going on", r"come on", r"give up",
        r"already (?:told|asked|explained)",
        # something went wrong *to* the customer (a request to cancel is not a complaint; a cancelled flight is)
        r"(?:was|were|got|has been|have been|is|are) (?:cancell?ed|delayed|lost|damaged|broken)(?: again| twice)?",
        r"(?:late|delayed|broken|wrong|missing) again", r"keeps? (?:crashing|freezing|failing|breaking)",
        r"(?:you|you guys|they|your \w+) (?:lost|damaged|broke) (?:my|our)", r"(?:nobody|no one) (?:is )?(?:answering|responding|helping|told me)",
        r"(?:takes?|taking|took) (?:so|too) long", r"on hold for", r"stuck (?:at|in|on)",
        r"(?:so|too|very|painfully|ridiculously) slow",
        # a customer's complaint words beyond the desk's own (what generalises to complaints the desk has not seen:
        # a feeling named, a service failure, contact that does not get through)
        r"frustrat(?:ed|ing|ion)", r"disappoint(?:ed|ing|ment)", r"annoy(?:ed|ing)", r"upset",
        r"(?:been|was|still|sitting|stuck) on hold", r"stranded",
        r"missed (?:my|our|the) (?:connection|connecting flight|flight)",
        r"(?:can'?t|cannot|couldn'?t|unable to) (?:get through|get a hold of|reach anyone|reach a person)",
        r"no (?:response|reply|answer) (?:yet|at all|from)", r"(?:you|you guys|they) lost (?:my|our)",
        r"lost (?:my|our) (?:bag|bags|luggage|baggage|suitcase|package|parcel)",
        r"(?:\d+|two|three|four|five|several) (?:hours?|hrs?) (?:late|delayed|on hold|waiting|wait)",
    ],
    "anger": [
        r"ridiculous", r"unacceptable", r"outrageous", r"absurd", r"disgusting", r"pathetic", r"terrible",
        r"horrible", r"awful", r"worst", r"scam(?:mer)?s?", r"fraud", r"rip[- ]?off", r"angry", r"furious",
        r"pissed", r"livid", r"hate", r"incompetent", r"f+u+c+k+(?:ing|ed)?", r"shit(?:ty)?", r"crap(?:py)?",
        r"goddamn", r"liars?", r"sue you", r"lawyer", r"report you", r"damn", r"wtf", r"bullshit",
        r"(?:file|make|lodge) a complaint", r"complain(?:ing)?", r"shame on you",
        r"rude(?:ly|ness)?", r"unprofessional", r"never again", r"what a joke", r"(?:poor|bad|lousy) service",
    ],
    "urgency": [r"urgent(?:ly)?", r"asap", r"as soon as possible", r"immediately", r"right now", r"emergency",
                r"hurry", r"worried", r"anxious", r"nervous", r"scared", r"panic(?:king)?", r"desperate(?:ly)?",
                r"(?:need|needs|needed) it (?:by|today|tomorrow)", r"running out of time",
                # a card or account someone else used
                r"(?:card|wallet|phone|account) (?:was |got |has been )?(?:stolen|hacked|compromised)",
                r"someone (?:used|is using|has used) my (?:card|account)"],
    "confusion": [r"(?:i )?(?:don'?t|do not|doesn'?t|does not) (?:understand|get it|make sense)", r"confus(?:ed|ing)",
                  r"what does (?:this|that|it) mean", r"not sure (?:what|how|why|if|whether)", r"unclear",
                  r"makes? no sense", r"i'?m lost", r"which one", r"what do you mean", r"no idea (?:what|how|why)",
                  r"can you explain", r"how come", r"huh"],
    "gratitude": [r"thanks?(?: you)?", r"thx", r"appreciate(?:d)?", r"grateful",
                  r"you(?:'re| are) (?:great|awesome|the best)", r"perfect", r"great help"],
}
_CUES_ZH: dict[str, list[str]] = {
    "frustration": ["第二次", "第三次", "第四次", "好几次", "多少次", "又是", "又没", "又来", "又一次", "还没",
                    "还是没", "怎么还", "一直没", "一直不", "等了", "等很久", "好久", "到底", "无语", "烦死", "好烦",
                    "很烦", "烦人", "受够", "没人理", "没人管", "没用", "说了多少遍", "催",
                    # slowness ("太慢了" read neutral: SnowNLP's reviews say it rarely)
                    "太慢", "好慢", "这么慢", "慢死", "太久"],
    "anger": ["投诉", "气死", "生气", "愤怒", "垃圾", "骗子", "欺骗", "太差", "很差", "差劲", "离谱", "恶心", "什么破",
              "坑人", "坑爹", "忍无可忍", "举报", "曝光", "滚", "妈的", "tmd", "退钱", "诈骗", "黑心", "过分"],
    "urgency": ["紧急", "着急", "急用", "马上", "立刻", "尽快", "赶紧", "今天必须", "担心", "焦虑", "急死",
                # a card or account someone else used
                "盗刷", "被盗", "被偷", "被骗", "冒用"],
    "confusion": ["不明白", "不懂", "看不懂", "搞不懂", "什么意思", "啥意思", "糊涂", "不清楚", "怎么回事", "为什么会"],
    "gratitude": ["谢谢", "感谢", "多谢", "辛苦了", "满意", "太好了", "给力", "点赞"],
}
_EN_PATTERNS = {emotion: re.compile(r"\b(?:" + "|".join(cues) + r")\b", re.IGNORECASE)
                for emotion, cues in _CUES_EN.items()}
_SHOUTING = re.compile(r"[!！]{3,}")
_CAPS_WORD = re.compile(r"\b[A-Z]{4,}\b")


def emotion_cue_lists() -> dict[str, list[str]]:
    """Every cue, by language and emotion (what the learned sentiment model's cue features depend on)."""
    return {"en": dict(_CUES_EN), "zh": dict(_CUES_ZH)}


def cue_words_en() -> list[str]:
    """The English cue words of four or more letters that are cues by themselves ("damn", "unacceptable"): the
    intent reading's spelling corrector knows them, so a misspelt one ("dman") is still read as a cue."""
    words = [cue for cues in _CUES_EN.values() for cue in cues if re.fullmatch(r"[a-z]{4,}", cue)]
    return sorted(set(words) | {"thank", "thanks", "fucking", "complaint", "complain"})


def merge_emotions(first: dict[str, dict], second: dict[str, dict]) -> dict[str, dict]:
    """Emotions found in either reading of a turn: per emotion the higher score, the triggers of both."""
    out = {}
    for emotion in EMOTIONS:
        a, b = first.get(emotion), second.get(emotion)
        if a is None or b is None:
            if a or b:
                out[emotion] = a or b
            continue
        out[emotion] = {"score": max(a["score"], b["score"]),
                        "triggers": list(dict.fromkeys(a["triggers"] + b["triggers"]))}
    return out


def detect_emotions(text: str, language: str | None = None) -> dict[str, dict]:
    """{emotion: {"score": 0..1, "triggers": [words]}} for the emotions whose cues appear, in EMOTIONS order.
    Chinese cues are looked for unless `language` is "en"."""
    text = text or ""
    triggers: dict[str, list[str]] = {}
    for emotion, pattern in _EN_PATTERNS.items():
        found = [m.group(0) for m in pattern.finditer(text)]
        if found:
            triggers[emotion] = found
    if language != "en":
        for emotion, cues in _CUES_ZH.items():
            found = [cue for cue in cues if cue in text]
            if found:
                triggers.setdefault(emotion, []).extend(found)
    shouting = [m.group(0) for m in _SHOUTING.finditer(text)]
    caps = _CAPS_WORD.findall(text)
    if len(caps) >= 2:
        shouting.extend(caps)
    if shouting:
        triggers.setdefault("anger", []).extend(shouting)
    out = {}
    for emotion in EMOTIONS:
        words = list(dict.fromkeys(triggers.get(emotion, [])))
        if not words:
            continue
        score = 0.5 + 0.2 * (len(words) - 1) + (0.2 if shouting and emotion in ("anger", "urgency") else 0.0)
        out[emotion] = {"score": round(min(1.0, score), 2), "triggers": words}
    return out


def emotion_cues(text: str, language: str | None = None) -> list[str]:
    """The emotions whose cues appear in the text, in EMOTIONS order."""
    return list(detect_emotions(text, language))


def emotion_trend(turns: list[dict[str, float]], window: int = 3) -> dict:
    """How each emotion moves over a conversation. `turns` are per-turn {emotion: score}, oldest first.

    Returns {"turns", "recent": {emotion: mean score over the last `window` turns}, "rising": [emotions whose
    recent mean exceeds the earlier mean by 0.25 or more], "streak": {emotion: consecutive latest turns showing
    it}}. The handoff policy reads `streak` (anger or frustration on two turns running hands off sooner) and
    analytics counts `rising`.
    """
    if not turns:
        return {"turns": 0, "recent": {}, "rising": [], "streak": {}}
    recent_turns = turns[-window:]
    earlier_turns = turns[:-window]
    recent, rising, streak = {}, [], {}
    for emotion in EMOTIONS:
        scores = [t.get(emotion, 0.0) for t in recent_turns]
        mean = sum(scores) / len(scores)
        if mean:
            recent[emotion] = round(mean, 3)
        earlier = (sum(t.get(emotion, 0.0) for t in earlier_turns) / len(earlier_turns)) if earlier_turns else 0.0
        if mean - earlier >= 0.25:
            rising.append(emotion)
        run = 0
        for t in reversed(turns):
            if not t.get(emotion):
                break
            run += 1
        if run:
            streak[emotion] = run
    return {"turns": len(turns), "recent": recent, "rising": rising, "streak": streak}
