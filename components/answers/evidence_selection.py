"""Which evidence units answer a question part: meaning, words, the kind of value asked for, and the entity asked
about, combined by a logistic model fitted on the dev sets.

Each (part, unit) pair gets features (`EvidenceSelector.features`):
- `dense`: cosine of the part and the unit (with the end of its context) under the shared sentence embedder, and
  `context_dense`: of the part and the unit's context alone (the FAQ question, the section heading);
- `words`: IDF-weighted share of the part's terms found in the unit and its context, `said`: found in the unit's
  own text (what is stated must carry the answer, not only its heading), `key_missing`: the part's rarest term
  is nowhere in the unit;
- `type_match` / `type_missing`: the unit holds (or lacks) a value of the kind the part asks for (a duration for
  "how long", an amount for "how much", a time or day for "when ... open", a list for "which methods", a count for
  "how many times");
- `entity_match` / `entity_other`: names the question uses (Gold, Lisbon, PayPal) are in the unit, or the unit is
  about another name only (Silver, Porto);
- `number_other`: the question names a numbered variant ("a 48-month certificate", "3 个月定期") and the unit (with
  its context) names the same kind with other numbers only ("24-month certificate");
- the retrieval score of the passage, the unit's kind, service filler, and the language.
The units stated beside the best one (`pick_units`) never give another figure of the kind asked for (`rival_value`).
The score is P(the unit states the answer) = sigmoid(w·x + b) with w, b in selection_model.json, fitted by
components/answers/calibration.py on assets/eval/answers/ (the held-out set excluded).
"""
from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from components.answers.chinese_question_forms import PERIOD_FEES, without_price_question_word
from components.answers.evidence_units import EvidenceUnit, is_filler
from components.answers.money_amounts import FREE, SUM
from components.answers.question_analysis import QuestionPart
from components.knowledge.keyword_index import tokenize
from components.nlu.cjk_characters import CJK_RUN

# Chinese words that mean the same in a customer's mouth and in help articles
_ZH_SYNONYMS = {"付款": "支付", "付钱": "支付", "退钱": "退款", "钱款": "退款", "到账": "退款", "换货": "换货", "更换": "换货",
                "调换": "换货", "营业": "开放", "开门": "开放", "几点": "时间", "下单": "订单", "订购": "订单", "送达": "送达",
                "收货": "送达", "寄回": "退货", "退回": "退货", "客服": "客服", "人工": "人工", "撤销": "取消", "取消掉": "取消", **PERIOD_FEES}
_EN_SYNONYMS = {"money": "refund", "reimburs": "refund", "reimbursement": "refund", "shipment": "ship",
                "arriv": "deliver", "arrival": "deliver", "delivery": "deliver", "deliveri": "deliver",
                "swap": "exchang", "cancellation": "cancel", "expiry": "expir", "expiration": "expir",
                "cost": "fee", "charg": "fee", "pric": "fee", "yearly": "annual", "annually": "annual",
                "telephon": "phon"}
# words that say nothing about what is asked
_EN_EMPTY = frozenset("""someth anyth everyth thing stuff guy guys hi hello hey pleas thank thanks know tell like just
really actually also still ok okay wonder curious quick question ask ve ll re d exactly precisely exact
policy policies polici""".split())

_VALUE_PATTERNS = {
    "phone": re.compile(r"(?:\+?\d[\d ().-]{6,}\d)"),
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "place": re.compile(r"\b\d{1,5}[a-z]? [A-Z][a-z]+|\b(rua|avenida|street|st\.|road|rd\.|avenue|ave\.|lane|square|"
                        r"floor|suite|building|po box)\b|路|街|号|楼|广场", re.I),
    "duration": re.compile(r"\d+\s*(?:(?:to|-|–|至|到|or)\s*\d+\s*)?(?:business |working |calendar |full )?"
                           r"(?:days?|weeks?|months?|years?|hours?|minutes?|mins?)\b|\bimmediate(?:ly)?\b|\bsame[- ]day\b|"
                           r"\binstant(?:ly)?\b|\bnext (?:business )?day\b|\bwithin\b|\bnever expire|\bdo(?:es)? not expire|"
                           r"\d+\s*(?:个)?(?:工作日|天|小时|分钟|周|个月|年)|立即|即时|当天|实时|永久", re.I),
    # a sum of money ("€5", "45 euros", "150 英镑") or what says there is none to pay ("free", "no fee", 免费)
    "amount": re.compile(f"{SUM.pattern}|{FREE.pattern}", re.I),
    "percentage": re.compile(r"\d+(?:\.\d+)?\s?%|\bpercent\b|百分之|\d+(?:\.\d+)?\s?％", re.I),
    "time": re.compile(r"\d{1,2}[:：.]\d{2}|\b\d{1,2}\s?(?:am|pm)\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b|"
                       r"\bweekends?\b|\b24 hours\b|\b24/7\b|\bclosed\b|\bopen\b|\bholidays?\b|\bcut-?off\b|"
                       r"周[一二三四五六日末]|星期[一二三四五六日天]|\d{1,2}\s?点|营业|休息|关闭|开放|节假日|全天", re.I),
    "count": re.compile(r"\b(?:once|twice|one time|\d+ times?|only one|one single|a single)\b|\bper (?:order|item|year|"
                        r"month)\b|一次|两次|\d+\s?次|仅限一次|只能.{0,4}一次", re.I),
}
# a list of options: "A, B, and C", "A or B or C"; in Chinese "A、B 和 C" (one 、 and a closing 和/或/及) or "A、B、C", and
# after a colon items joined by 、 or by two ， ("接受三种支付方式：信用卡、PayPal 和礼品卡"); a colon before one clause
# break states one thing ("退回原支付方式：礼品卡立即到账，其他方式 5 到 7 个工作日"); quoted items joined by 或/和 are
# options ("取消原因（“不再需要”或“误下单”）")
_LISTY = re.compile(r"(,.*){2,}|\bor\b.*\bor\b|、.*、|、[^、，,。；;：:]{1,30}(?:以及|和|或|及)|：[^。]*(?:、|，[^。]*，)|"
                    r"[”」』]\s*(?:或者|或是|或|和|及|以及)\s*[“「『]", re.I)
_NAME = re.compile(r"\b[A-Z][a-zA-Z0-9]+(?:[ -][A-Z][a-zA-Z0-9]+)*")
_NOT_ENTITIES = frozenset("""i if the a an we you our your it its this that these those for to of and or but in on at
by with from as is are be can may must will when what how which who why where yes no not please note see also
question answer q a faq customer customers order orders item items""".split())


MODEL_FILE = Path(__file__).with_name("selection_model.json")
FEATURES = ("dense", "context_dense", "words", "said", "key_missing", "retrieval", "type_match", "type_missing",
            "entity_match", "entity_other", "filler", "zh", "zh_dense", "zh_words", "kind_faq", "kind_list",
            "kind_row", "short", "question_words", "text_dense", "context_words", "unknown_share", "bm25",
            "prev_said", "next_said", "number_other")
INTERACTIONS = (("dense", "words"), ("dense", "said"), ("words", "words"))
# what the confidence reads: only what means the same in any business (the ranking's absolute score, the language
# and how often a knowledge base repeats itself differ from one business to the next, and did not carry over when
# each business was held out in turn; the best passage's retrieval score does carry over: with it and `same_section`
# the leave-one-business-out replay answered 288 dev questions correctly at 13 wrong, against 247 at 13 without, and
# more on each of the six businesses); `section_gap` (how far the best unit stands above the best one of any other
# section) replaced `same_section` once the airline joined the dev sets: 310 correct / 12 wrong against 303 / 14 on
# the same eight-set rows, and at least as many correct at every wrong count from 10 to 15
CONFIDENCE_FEATURES = ("margin", "top_share", "words", "said", "dense", "key_missing", "type_missing", "entity_other",
                       "type_match", "entity_match", "words_margin", "dense_margin", "unknown_share", "rival_margin",
                       "rival_share", "context_words", "number_other", "upr_gain", "upr_rel", "upr_margin",
                       "upr_absent", "retrieval", "section_gap")
# before calibration: a hand-set model of the same shape (replaced by selection_model.json when present)
_DEFAULT_MODEL = {
    "ranker": {"dense": 2.0, "context_dense": 1.0, "words": 3.0, "said": 1.5, "retrieval": 1.0, "type_match": 1.0,
               "type_missing": -0.8, "entity_match": 1.0, "entity_other": -1.0, "kind_list": 0.5,
               "dense*words": 2.0},
    "confidence": {"intercept": -3.0, "coefficients": {"top": 0.5, "words": 2.0, "said": 1.0, "dense": 2.0,
                                                       "key_missing": -1.0}},
    "threshold": 0.5}


def feature_vector(x: dict) -> dict:
    """The ranker's inputs: the features and their products."""
    out = dict(x)
    for a, b in INTERACTIONS:
        out[f"{a}*{b}"] = float(x.get(a, 0.0)) * float(x.get(b, 0.0))
    return out


@dataclass
class SelectionModel:
    ranker: dict                                 # feature -> weight: a unit's score is their weighted sum
    confidence_intercept: float
    confidence: dict                             # per-part feature -> weight of P(the best unit answers the part)
    threshold: float = 0.5                       # below it a part is not answered (the bot abstains)
    margin: float = 1.0                          # units scoring within this of the best one are stated too ...
    max_units: int = 3                           # ... up to this many
    meta: dict = field(default_factory=dict)     # how it was fitted: data, counts, cross-validated scores

    @classmethod
    def load(cls, path: Path | None = None) -> "SelectionModel":
        path = Path(path or MODEL_FILE)
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else _DEFAULT_MODEL
        return cls(dict(data["ranker"]), float(data["confidence"]["intercept"]),
                   dict(data["confidence"]["coefficients"]), float(data.get("threshold", 0.5)),
                   float(data.get("margin", 1.0)), int(data.get("max_units", 3)), dict(data.get("meta") or {}))

    def score(self, x: dict) -> float:
        return sum(self.ranker.get(k, 0.0) * float(v) for k, v in feature_vector(x).items())

    def part_features(self, ranked: list["ScoredUnit"]) -> dict:
        """What the confidence model reads about a part's candidates (best first)."""
        if not ranked:
            return {}
        top = ranked[0]
        second = ranked[1].score if len(ranked) > 1 else top.score - 5.0
        scores = np.array([r.score for r in ranked[:20]])
        shares = np.exp(scores - scores.max())
        x = {"top": top.score, "margin": min(5.0, top.score - second), "top_share": float(shares[0] / shares.sum())}
        # a knowledge base that says the same thing twice (a help article, its FAQ row, its Chinese version) is
        # support, not competition: the margin and share against the best unit that says something else
        agree = [bool(i == 0 or (agrees(top.unit, r.unit) and not r.parts.get("entity_other")
                                 and r.parts.get("entity_match", 0.0) >= top.parts.get("entity_match", 0.0)))
                 for i, r in enumerate(ranked[:20])]
        rival = next((r.score for r, a in zip(ranked[:20], agree) if not a), top.score - 5.0)
        x["rival_margin"] = min(5.0, top.score - rival)
        x["rival_share"] = float(shares[np.array(agree)].sum() / shares.sum())
        x["support"] = float(min(3, sum(agree[1:6])))
        for name in ("words", "said", "dense", "key_missing", "type_missing", "entity_other", "zh", "context_dense",
                     "type_match", "kind_faq", "entity_match", "unknown_share", "text_dense", "context_words",
                     "number_other", "retrieval"):
            x[name] = float(top.parts.get(name, 0.0))
        # how much of the ranking's head is one section (the share of the next two best units under the best one's
        # heading or FAQ question): one section of several like sentences is where the best one is often not the
        # answer (the fitted weight is negative); and the best unit's passage score, which the ranking's own
        # (business-dependent) scale does not show
        x["same_section"] = sum(getattr(r.unit, "context", None) == getattr(top.unit, "context", None)
                                for r in ranked[1:3]) / 2.0
        # how far the best unit stands above the best unit of any other section (another heading or FAQ question, or
        # another document): a clear winner among the sections is what the reply may state, where several sections
        # close together each answer a question of their own (5 when no other section was found)
        x["section_gap"] = min(5.0, top.score - next((r.score for r in ranked[1:] if not same_section(top.unit, r.unit)),
                                                     top.score - 5.0))
        others = ranked[1:6]
        x["words_margin"] = x["words"] - max((float(o.parts.get("words", 0.0)) for o in others), default=0.0)
        x["dense_margin"] = x["dense"] - max((float(o.parts.get("dense", 0.0)) for o in others), default=0.0)
        x.update(query_likelihood_features(ranked))
        # the best units agree: the runner-up comes from the same passage
        x["agree"] = float(bool(others) and getattr(others[0].unit, "chunk_id", None) is not None
                           and getattr(others[0].unit, "chunk_id", None) == getattr(top.unit, "chunk_id", 1))
        return x

    def confidence_of(self, ranked: list["ScoredUnit"]) -> float:
        if not ranked:
            return 0.0
        x = self.part_features(ranked)
        z = self.confidence_intercept + sum(self.confidence.get(k, 0.0) * v for k, v in x.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict:
        return {"ranker": self.ranker, "confidence": {"intercept": self.confidence_intercept,
                                                      "coefficients": self.confidence},
                "threshold": self.threshold, "margin": self.margin, "max_units": self.max_units, "meta": self.meta}


def query_likelihood_features(ranked: list["ScoredUnit"]) -> dict:
    """The best unit's query likelihood (query_likelihood.py; in `parts` as "upr" and "upr_null" for the units it
    scored): its gain over the empty passage, its distance below the most likely unit scored (0 when it is that one),
    and its gain's margin over the others' best; `upr_absent` when the best unit was not scored (a Chinese part)."""
    top = ranked[0].parts if ranked else {}
    if "upr" not in top:
        return {"upr_gain": 0.0, "upr_rel": 0.0, "upr_margin": 0.0, "upr_absent": 1.0}
    scored = [r.parts for r in ranked if "upr" in r.parts]
    gain = float(top["upr"]) - float(top["upr_null"])
    others = [float(p["upr"]) - float(p["upr_null"]) for p in scored if p is not top]
    return {"upr_gain": gain, "upr_rel": float(top["upr"]) - max(float(p["upr"]) for p in scored),
            "upr_margin": max(-3.0, min(3.0, gain - max(others))) if others else 0.0, "upr_absent": 0.0}


@dataclass
class ScoredUnit:
    unit: EvidenceUnit
    score: float
    parts: dict

    def to_dict(self) -> dict:
        return {"text": self.unit.text, "source": self.unit.source_title, "doc_id": self.unit.doc_id,
                "chunk_id": self.unit.chunk_id, "kind": self.unit.kind, "score": round(self.score, 4),
                "scores": {k: round(float(v), 3) for k, v in self.parts.items() if v}}


def normalize_term(t: str) -> str:
    """One canonical form per word: synonyms folded, and the stemmer's "exchange"/"exchang" made one."""
    if CJK_RUN.fullmatch(t):
        return _ZH_SYNONYMS.get(t, t)
    if len(t) >= 5 and t.endswith("e") and t.isalpha():
        t = t[:-1]
    return _EN_SYNONYMS.get(t, t)


def normalize_terms(tokens: list[str]) -> list[str]:
    out = []
    for t in tokens:
        n = normalize_term(t)
        if n not in _EN_EMPTY:
            out.append(n)
    return out


class TermStatistics:
    """Document frequencies of normalized terms over the knowledge base's chunks (rebuilt when it changes). The
    question's misspellings are corrected once, before anything reads it (spelling.py): the terms read here are
    the knowledge base's own or a word it never uses."""

    def __init__(self, keyword_index=None):
        self.index = keyword_index
        self._generation = None
        self._df: dict[str, int] = {}
        self._n = 1

    def _ensure(self) -> None:
        if self.index is None:
            return
        raw = self.index.document_frequencies()
        generation = id(raw), len(raw)
        if generation == self._generation:
            return
        df: dict[str, int] = {}
        for token, count in raw.items():
            key = normalize_term(token)
            df[key] = max(df.get(key, 0), count)
        self._df, self._n = df, max(1, self.index.size)
        self._generation = generation

    def df(self, term: str) -> int:
        self._ensure()
        return self._df.get(term, 0)

    def idf(self, term: str) -> float:
        df = self.df(term)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))


def terms(text: str) -> list[str]:
    return list(_terms(text or ""))


@functools.lru_cache(maxsize=50_000)
def _terms(text: str) -> tuple[str, ...]:
    """Units and headings repeat from turn to turn: their words are read once. 钱 asking for a sum ("多少钱") is a
    question word (chinese_question_forms.py)."""
    return tuple(normalize_terms(tokenize(without_price_question_word(text))))


def has_value(kind: str, unit: EvidenceUnit) -> bool:
    if kind == "options":
        return unit.kind in ("list", "row") or bool(_LISTY.search(unit.text))
    if kind == "procedure":
        return unit.kind in ("list", "list_item") or bool(re.search(r"\b(tell|choose|go to|select|verify|send|"
                                                                    r"open|tap|click|call|visit)\b|请|选择|提供|登录", unit.text, re.I))
    pattern = _VALUE_PATTERNS.get(kind)
    return bool(pattern and pattern.search(unit.text))


def entity_names(text: str, *, headings: bool = False) -> set[str]:
    """Capitalized names ("Gold", "Lisbon", "Apple Pay"), lower-cased. In running text a sentence's first word is
    no name ("Refunds take ..."); in headings every capitalized word may be one."""
    names: set[str] = set()
    for sentence in re.split(r"(?<=[.!?:;])\s+|\n", text or ""):
        sentence = sentence.strip()
        for match in _NAME.finditer(sentence):
            if match.start() == 0 and not headings and " " not in match.group(0):
                continue
            name = match.group(0).lower()
            words = [w for w in re.split(r"[ -]", name) if len(w) >= 3 and w not in _NOT_ENTITIES]
            if words:
                names.add(" ".join(re.split(r"[ -]", name)) if len(words) > 1 else words[0])
                names.update(words)
    return names


# a numbered variant of a thing: "48-month certificate", "2-year plan", "12 个月定期", "3 年期" (a plain "30 days" is
# a condition or an answer, not the name of a variant)
_NUMBERED = re.compile(r"(\d+(?:[.,]\d+)?)(?:-([a-z]{3,})\b|\s*(个月|年期|周年))", re.I)


# Chinese months said as a choice or a span ("暂停 1 或 2 个完整的自然月", "1 至 3 个月"): each number of it is named,
# and a measure word's adjectives (完整的, 自然, 日历) stand between 个 and 月
_ZH_MONTHS_SPAN = re.compile(r"(\d{1,2})\s*(或者|或|到|至|-|–|~|、)\s*(\d{1,2})\s*个(?:完整的?|自然|日历)*月")
_ZH_MONTHS_WITH_ADJECTIVES = re.compile(r"(\d{1,2})\s*个(?:完整的?|自然|日历)+月")


def numbered_terms(text: str) -> dict[str, set[str]]:
    """The numbered variants a text names: word -> its numbers ("48-month certificate" -> {"month": {"48"}}, "12 个月"
    -> {"个月": {"12"}}, "1 至 3 个月" -> {"个月": {"1", "2", "3"}}, "1 或 2 个完整的自然月" -> {"个月": {"1", "2"}})."""
    out: dict[str, set[str]] = {}
    for number, word, zh in _NUMBERED.findall(text or ""):
        key = normalize_term(word.lower().rstrip("s")) if word else zh
        out.setdefault(key, set()).add(number.replace(",", "."))
    for low, joint, high in _ZH_MONTHS_SPAN.findall(text or ""):
        a, b = int(low), int(high)
        named = {a, b} if joint in ("或者", "或", "、") or not a <= b else set(range(a, b + 1))
        out.setdefault("个月", set()).update(str(n) for n in named)
    for number in _ZH_MONTHS_WITH_ADJECTIVES.findall(text or ""):
        out.setdefault("个月", set()).add(number)
    return out


def number_other(asked: dict[str, set[str]], text: str) -> float:
    """1 when the question names a numbered thing ("a 48-month certificate", "3 个月") and the unit names the same
    kind of thing with other numbers only ("24-month certificate"): it is about another one."""
    if not asked:
        return 0.0
    stated = numbered_terms(text)
    for word, numbers in asked.items():
        if word in stated and not (stated[word] & numbers):
            return 1.0
    return 0.0


def _words_of(name: str) -> set[str]:
    return set(terms(name))


class EvidenceSelector:
    def __init__(self, embed: Callable[[list[str]], np.ndarray], statistics: TermStatistics | None = None,
                 model: SelectionModel | None = None):
        self.embed = embed
        self.statistics = statistics or TermStatistics()
        self.idf = self.statistics.idf
        self.model = model or SelectionModel.load()
        self._vectors: dict[str, np.ndarray] = {}

    def _vectors_for(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.embed(missing)):
                self._vectors[text] = np.asarray(vector, dtype=np.float32)
            if len(self._vectors) > 30_000:  # bounded: the knowledge base's units are few and repeat
                for key in list(self._vectors)[:10_000]:
                    del self._vectors[key]
        return np.vstack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)

    def coverage(self, weights: dict[str, float], unit_terms: set[str]) -> float:
        total = sum(self.idf(t) * w for t, w in weights.items())
        got = sum(self.idf(t) * w for t, w in weights.items() if t in unit_terms)
        return got / total if total > 0 else 0.0

    def features(self, part: QuestionPart, units: list[EvidenceUnit], part_vector: np.ndarray | None = None,
                 term_weights: dict[str, float] | None = None) -> list[dict]:
        """One feature dict per unit (see the module docstring)."""
        if not units:
            return []
        weights = dict(term_weights or {t: 1.0 for t in terms(part.text)})
        zh = 1.0 if part.language == "zh" else 0.0
        unit_vectors = self._vectors_for([f"{_context_tail(u.context)} {u.text}".strip() for u in units])
        context_vectors = self._vectors_for([_context_tail(u.context) or u.text for u in units])
        text_vectors = self._vectors_for([u.text for u in units])
        if part_vector is None:
            part_vector = self.embed([part.text])[0]
        part_vector = np.asarray(part_vector, dtype=np.float32)
        dense = unit_vectors @ part_vector
        context_dense = context_vectors @ part_vector
        text_dense = text_vectors @ part_vector
        # words the knowledge base never uses (the question was spell-corrected first): what nothing here can answer
        total = sum(self.idf(t) * w for t, w in weights.items()) or 1.0
        unknown_share = sum(self.idf(t) * w for t, w in weights.items() if self.statistics.df(t) == 0) / total
        # the rarest word the knowledge base uses: a word it never uses is in no unit (that is `unknown_share`), and
        # as the key it would call every unit's key missing ("I bought headphones ...": "headphones")
        known = {t: w for t, w in weights.items() if self.statistics.df(t) > 0} or weights
        key = max(known, key=lambda t: self.idf(t) * known[t]) if known else None
        vocabulary: set[str] = set()
        unit_names: list[set[str]] = []
        for u in units:
            names = entity_names(u.text) | entity_names(u.context, headings=True)
            unit_names.append(names)
            vocabulary |= names
        lowered = part.text.lower()
        asked = {n for n in vocabulary if re.search(r"\b" + re.escape(n) + r"s?\b", lowered)}
        asked_words = set().union(*(_words_of(n) for n in asked)) if asked else set()
        asked_numbers = numbered_terms(part.text)
        value_types = [t for t in part.types if t not in ("yes_no", "general")]
        length_scale = float(np.mean([len(terms(u.text)) for u in units])) or 1.0
        rows = []
        for i, u in enumerate(units):
            said_terms = set(terms(u.text))
            all_terms = said_terms | set(terms(u.context))
            d, cd = max(0.0, float(dense[i])), max(0.0, float(context_dense[i]))
            words = self.coverage(weights, all_terms)
            x = {"dense": d, "context_dense": cd, "words": words, "said": self.coverage(weights, said_terms),
                 "key_missing": 1.0 if key and key not in all_terms else 0.0,
                 "retrieval": float(u.retrieval_score), "zh": zh, "zh_dense": zh * d, "zh_words": zh * words,
                 "kind_faq": 1.0 if u.kind == "faq_answer" else 0.0,
                 "kind_list": 1.0 if u.kind in ("list", "list_item") else 0.0,
                 "kind_row": 1.0 if u.kind == "row" else 0.0,
                 "short": 1.0 if len(u.text) < 40 else 0.0,
                 "filler": 1.0 if is_filler(u.text) else 0.0,
                 "question_words": 1.0 if u.context and u.kind == "faq_answer" else 0.0,
                 "text_dense": max(0.0, float(text_dense[i])), "unknown_share": unknown_share,
                 "context_words": self.coverage(weights, set(terms(u.context))),
                 "type_match": 0.0, "type_missing": 0.0, "entity_match": 0.0, "entity_other": 0.0,
                 "bm25": self.bm25(weights, u.text, length_scale), "prev_said": 0.0, "next_said": 0.0,
                 "number_other": number_other(asked_numbers, f"{u.context} {u.text}")}
            if value_types:
                if any(has_value(t, u) for t in value_types):
                    x["type_match"] = 1.0
                elif value_types[0] in _VALUE_PATTERNS:
                    x["type_missing"] = 1.0
            if asked:
                names = unit_names[i]
                present = {n for n in asked if n in names or _words_of(n) <= all_terms}
                if present:
                    x["entity_match"] = len(present) / len(asked)
                elif names - asked and not (names & asked) and not (asked_words & all_terms):
                    x["entity_other"] = 1.0
            rows.append(x)
        # the sentences around a unit: a unit right after (or before) the one naming the question's subject often
        # states the fact ("When a class is full you can join the waiting list. If a spot opens, you ...")
        said_at = {(u.chunk_id, u.position): x["said"] for u, x in zip(units, rows)}
        for u, x in zip(units, rows):
            x["prev_said"] = said_at.get((u.chunk_id, u.position - 1), 0.0)
            x["next_said"] = said_at.get((u.chunk_id, u.position + 1), 0.0)
        return rows

    def bm25(self, weights: dict[str, float], text: str, average_length: float, k1: float = 1.2,
             b: float = 0.75) -> float:
        """Okapi BM25 of the unit's own words against the question's, scaled to 0..1 by its largest value."""
        unit_terms = terms(text)
        if not unit_terms or not weights:
            return 0.0
        counts: dict[str, int] = {}
        for t in unit_terms:
            counts[t] = counts.get(t, 0) + 1
        norm = k1 * (1 - b + b * len(unit_terms) / average_length)
        score = sum(self.idf(t) * w * counts[t] * (k1 + 1) / (counts[t] + norm) for t, w in weights.items()
                    if t in counts)
        best = sum(self.idf(t) * w * (k1 + 1) for t, w in weights.items())
        return score / best if best > 0 else 0.0

    def rank(self, part: QuestionPart, units: list[EvidenceUnit], part_vector: np.ndarray | None = None,
             term_weights: dict[str, float] | None = None) -> list[ScoredUnit]:
        rows = self.features(part, units, part_vector, term_weights)
        scored = [ScoredUnit(u, self.model.score(x), x) for u, x in zip(units, rows)]
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored


def same_section(a, b) -> bool:
    """Two units under one heading (or FAQ question) of one document."""
    return (getattr(a, "doc_id", None) == getattr(b, "doc_id", None)
            and (getattr(a, "context", None) or "") == (getattr(b, "context", None) or ""))


_NUMBER = re.compile(r"\d+(?:[.,:]\d+)?")


def agrees(a, b) -> bool:
    """Two units say the same: near-duplicate wording, or the very same numbers (a fact and its translation). (Units
    of one section were tried as agreeing too, and a list with one of its own items: fewer correct answers at the same
    wrong rate when each business was held out (118 vs 143 correct for the list and its item), so not kept.)"""
    if a is None or b is None:
        return False
    ta, tb = getattr(a, "text", ""), getattr(b, "text", "")
    numbers_a, numbers_b = set(_NUMBER.findall(ta)), set(_NUMBER.findall(tb))
    if numbers_a or numbers_b:
        return numbers_a == numbers_b and near_duplicate(ta, tb, 0.3) or (numbers_a == numbers_b and
                                                                          getattr(a, "language", "") != getattr(b, "language", ""))
    return near_duplicate(ta, tb)


# the kinds of value one figure answers: a second unit giving another figure of the kind asked for is a rival answer
_ONE_VALUE_KINDS = ("phone", "email", "amount", "percentage", "time", "duration")


def stated_values(kind: str, text: str) -> set[str]:
    """The figures of `kind` a text states ("15:30", "1-800-555-0142", "$95"), digits only, so that "5 to 7 days" and
    "5-7 days" or "3:30 pm" and "15:30" are not told apart by their wording alone."""
    pattern = _VALUE_PATTERNS.get(kind)
    if pattern is None:
        return set()
    return {re.sub(r"\D", "", m.group(0)) for m in pattern.finditer(text or "") if re.search(r"\d", m.group(0))}


def rival_value(asked_types, first_text: str, other_text: str) -> bool:
    """The other unit states a figure of a kind the part asks for (a time, a number to call, an amount, a rate) that
    the first unit, stating one of that kind too, does not: it answers another question (the wire's 15:30 beside
    the same-day transfer's 14:00; the fraud line beside the lost-card line), and the reply states one answer."""
    for kind in asked_types or ():
        if kind not in _ONE_VALUE_KINDS:
            continue
        mine, theirs = stated_values(kind, first_text), stated_values(kind, other_text)
        if mine and theirs and not theirs <= mine:
            return True
    return False


def pick_units(ranked: list, margin: float, max_units: int, text=lambda r: r.unit.text,
               score=lambda r: r.score, parts=lambda r: r.parts, asked_types=()) -> list:
    """The units a reply states for one part: the best, and the next ones scoring within `margin` of it (at most
    `max_units`), skipping any that repeat what is already picked, that are less about the entity asked (the Gold
    row next to the Silver one asked about), or that state another figure of the kind asked for (rival_value)."""
    if not ranked:
        return []
    picked = [ranked[0]]
    first = parts(ranked[0]) or {}
    for other in ranked[1:12]:
        if len(picked) >= max_units or score(other) < score(ranked[0]) - margin:
            break
        if any(near_duplicate(text(other), text(p)) or text(other) in text(p) or text(p) in text(other)
               for p in picked):
            continue
        x = parts(other) or {}
        if x.get("entity_other") or x.get("entity_match", 0.0) < first.get("entity_match", 0.0):
            continue
        if x.get("type_missing") and not first.get("type_missing"):
            continue
        if rival_value(asked_types, text(ranked[0]), text(other)):
            continue
        picked.append(other)
    return picked


def _context_tail(context: str, limit: int = 160) -> str:
    return context[-limit:] if context else ""


def near_duplicate(a: str, b: str, threshold: float = 0.7) -> bool:
    ta, tb = set(terms(a)), set(terms(b))
    if not ta or not tb:
        return a.strip().lower() == b.strip().lower()
    return len(ta & tb) / min(len(ta), len(tb)) >= threshold
