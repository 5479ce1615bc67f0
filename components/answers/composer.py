"""Answers from evidence: retrieve, select the sentences that answer each part of the question, state them.

`AnswerComposer.compose(question, language, previous)` returns a `ComposedAnswer` without the model:
1. a follow-up ("And for the Gold card?") becomes a full question from the previous one;
2. the question is split into parts, each with the kind of answer it wants;
3. a curated FAQ row that matches a one-part question is its answer, shown without its "Q:/A:" scaffolding;
4. otherwise the passages retrieved for each part are cut into units and ranked (evidence_selection.py); a part
   is answered by its best unit(s) when they score above the calibrated threshold, by its best unit alone when a
   structural reason lifts it from under the threshold (sub_threshold_lifts.py), or said to be unknown; the
   business's own documents answer before the seeded starter articles (source_precedence.py);
5. the reply states the evidence, cleaned, framed in one short sentence and cited by its section's title. A name
   the customer asked about that no evidence mentions ("Apple Pay", "支付宝") is said to be unmentioned.
No part above the threshold: the answer abstains (the bot says it does not know and offers a person).

`rephrase(...)` lets the model reword the evidence; the rewording stands only if answer_verifier.verify() passes,
else the evidence wording stands. The trace (`ComposedAnswer.to_trace()`) records the evidence, the mode
(curated / evidence / rephrased / generated / abstain) and every verdict.
"""
from __future__ import annotations

import dataclasses
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from components.answers.answer_verifier import Verdict, verify
from components.answers.asked_subjects import not_about_part_before, unstated_subject
from components.answers.answerability import (QUESTION_WORDS, asked_day_ranking, asked_value, asked_value_phrase,
                                              chinese_nouns, echo_ranking, focus_items, no_value, other_section_ranking,
                                              said_terms, subject_terms, unanswered, value_asked_before,
                                              value_of_earlier_part)
from components.answers.case_scopes import general_rule_first, other_scope_ranking
from components.answers.charge_kinds import other_charge_ranking
from components.answers.comparison_rows import (asked_cell, asked_cell_first, focus_row, named_cell,
                                               named_columns_only, row_beyond_stated, row_together,
                                               rows_named_alike, without_unnamed_rows)
from components.answers.document_corpus import DocumentCorpus
from components.answers.document_vocabulary import Coverage, coverage
from components.answers.chinese_question_forms import every_period_as_written
from components.answers.cross_language import chinese_weights, gloss, mapped_weights
from components.answers.evidence_selection import (EvidenceSelector, ScoredUnit, SelectionModel,
                                                   entity_names, has_value, near_duplicate, normalize_term, pick_units,
                                                   stated_values, terms, TermStatistics)
from components.answers.evidence_units import EvidenceUnit, clean, row_as_said, units_from_hit
from components.answers.list_lead_ins import item_with_lead_in
from components.answers.query_likelihood import K as LIKELIHOOD_K, passage_text, scored_here
from components.answers.sibling_evidence import in_sibling_document, sibling_unit
from components.answers.table_cells import TableCells
from components.answers.source_precedence import SourcePrecedence
from components.answers.story_names import incidental
from components.answers.sub_threshold_lifts import SIBLING_DOCUMENT, SIBLING_FLOOR, lift_reason
from components.answers.policy_overview import overview_subject, overview_units
from components.answers.number_conditions import (asked_quantities, holding_first, quantities,
                                                  with_stated_condition, without_failing)
from components.answers.followup_conditions import condition_clause
from components.answers.own_subjects import own_subject_first
from components.answers.situation_evidence import situation_first
from components.answers.followup_evidence import counterpart
from components.answers.followups import (ENDS_ON_WHAT_WAS_SAID, about_previous_subject, is_followup, name_candidates,
                                         qualifiers, two_word_names, with_previous, written_as_name)
from components.answers.question_analysis import (REFERS_BACK, QuestionPart, answer_types, chinese_counts_as_digits,
                                                  points_back, split_question,
                                                  story_and_question, type_phrases, without_opener)
from components.answers.spelling import Corrected, QuestionSpeller
from components.knowledge.types import Hit
from components.nlu.cjk_characters import HAN, has_cjk
from components.privacy.injection_guard import remove_instructions

log = logging.getLogger(__name__)

STYLES = ("auto", "evidence", "rephrase", "generate")
_STATEMENT_WEIGHT = 0.3        # words of the statements around a question ("I changed the color of a mug ...")
_PREVIOUS_WEIGHT = 0.4         # words of the previous question, for a follow-up
_BRIDGE_PENALTY = 1.0          # a Chinese part's English unit (scored through a dictionary gloss) gives way to a
                               # Chinese unit scoring within this much of it (a third to a half of the model's margin
                               # for stating a second unit; 0 and the full margin were tried: see docs/measurements-history.md, Answers)

PHRASES = {
    "single": {"en": "According to our help article “{title}”: {evidence}",
               "zh": "根据《{title}》：{evidence}"},
    "single_more": {"en": " And according to “{title}”: {evidence}",
                    "zh": "另据《{title}》：{evidence}"},
    "part": {"en": "On “{part}”: {evidence} (from {titles})",
             "zh": "关于“{part}”：{evidence}（来源：{titles}）"},
    "title": {"en": "“{title}”", "zh": "《{title}》"},
    "title_join": {"en": " and ", "zh": "、"},
    "part_unknown": {"en": "On “{part}”: I couldn't find this in our help articles.",
                     "zh": "关于“{part}”：抱歉，帮助文档中没有找到相关说明。"},
    "unmentioned": {"en": "Our help articles don't mention {names}.",
                    "zh": "帮助文档中没有提到{names}。"},
    "abstain": {"en": "I'm sorry, I couldn't find an answer to that in our help articles, and I'd rather not guess. "
                      "Would you like me to connect you with a person?",
                "zh": "抱歉，我在帮助文档中没有找到这个问题的答案，不想随意猜测。需要我为您转接人工客服吗？"},
}


def say(key: str, language: str, **fmt) -> str:
    table = PHRASES[key]
    return (table.get(language) or table["en"]).format(**fmt)


@dataclass
class PartAnswer:
    part: QuestionPart
    evidence: list[ScoredUnit] = field(default_factory=list)   # what the reply states for this part
    candidates: list[ScoredUnit] = field(default_factory=list)  # the best few, for the trace
    unmentioned: list[str] = field(default_factory=list)  # names no unit found states: the part is not answered
    named_elsewhere: list[str] = field(default_factory=list)  # of those, names the documents do use elsewhere
    incidental: list[str] = field(default_factory=list)  # names no unit states that only set the scene (story_names)
    curated: dict | None = None
    confidence: float = 0.0                                     # P(the best unit answers this part)
    unanswered: str | None = None     # why the best units, confident as they are, do not answer it (answerability)
    from_part: int | None = None      # its evidence is another part's (1-based), confident there (sibling_evidence)
    from_previous: bool = False       # its evidence is the counterpart of the previous answer's (followup_evidence)
    from_table: bool = False          # its evidence is the comparison table's cell it names (comparison_rows)
    overview: str = ""                # its evidence opens the document about this policy (policy_overview.py)
    lifted: str = ""                  # answered under the threshold, and why (sub_threshold_lifts.lift_reason)

    @property
    def best_score(self) -> float:
        return self.confidence

    @property
    def condition_settled(self) -> bool:
        return self.lifted == "condition_settled"

    @property
    def answered(self) -> bool:
        return bool(self.evidence)

    def to_dict(self) -> dict:
        return {"question": self.part.text, "answer_type": self.part.answer_type, "types": self.part.types,
                "answered": self.answered, "confidence": round(self.confidence, 4),
                "evidence": [e.to_dict() for e in self.evidence],
                "candidates": [c.to_dict() for c in self.candidates[:3]],
                "unmentioned": self.unmentioned,
                **({"named_elsewhere": self.named_elsewhere} if self.named_elsewhere else {}),
                **({"incidental": self.incidental} if self.incidental else {}),
                "curated": self.curated, "unanswered": self.unanswered,
                **({"from_part": self.from_part} if self.from_part else {}),
                **({"from_previous": True} if self.from_previous else {}),
                **({"from_table": True} if self.from_table else {}),
                **({"overview": self.overview} if self.overview else {}),
                **({"lifted": self.lifted} if self.lifted else {})}


@dataclass
class ComposedAnswer:
    question: str                      # what was answered (a follow-up is resolved into a full question)
    language: str
    reply: str
    mode: str                          # curated | evidence | rephrased | generated | abstain
    parts: list[PartAnswer] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    followup: dict | None = None
    subject_terms: list[str] = field(default_factory=list)
    verdict: Verdict | None = None
    rejected: list[dict] = field(default_factory=list)   # rewordings the verifier turned down
    min_score: float = 0.5
    timings_ms: dict = field(default_factory=dict)
    asked: str = ""                    # the customer's own words, when spelling corrections changed them
    corrections: list[dict] = field(default_factory=list)   # [{"from": "cashbak", "to": "cashback", "kind": …}]

    @property
    def abstained(self) -> bool:
        return self.mode == "abstain"

    @property
    def best_score(self) -> float:
        return max((p.best_score for p in self.parts), default=0.0)

    @property
    def abstain_reason(self) -> str | None:
        """Why no part is answered: no evidence above the threshold, or evidence above it that does not state what
        was asked (the answerability checks). None when the answer does not abstain."""
        if self.mode != "abstain":
            return None
        unanswered = [p.unanswered for p in self.parts if p.unanswered]
        if unanswered:
            return (f"the best evidence (confidence {self.best_score:.2f}) does not answer the question: "
                    + "; ".join(unanswered))
        return f"no evidence above the calibrated threshold (best {self.best_score:.2f} < {self.min_score:.2f})"

    @property
    def names_from_documents(self) -> list[str]:
        """The question's words that the passages it retrieved write as names ("classic" in "how many bags can I
        check on a classic ticket?" where they say "Classic fares", "Linford" in "can I pay cash at Linford?"): the
        documents speak of what it names, even where no passage states the answer. Read from the hits already
        retrieved: no search."""
        texts = [hit.text for hit in self.hits]
        return sorted(w for w in name_candidates(self.question) if written_as_name(w, texts))

    @property
    def evidence_texts(self) -> list[str]:
        return [e.unit.text for p in self.parts for e in p.evidence]

    def plain_text(self) -> str:
        """The evidence alone, as a FAQ answer would state it (no framing, no citation)."""
        return join_sentences([_sentence(t, self.language) for t in dict.fromkeys(self.evidence_texts)], self.language)

    def to_trace(self) -> dict:
        return {"mode": self.mode, "question": self.question, "followup": self.followup,
                "asked": self.asked or self.question, "corrections": self.corrections,
                "abstain_reason": self.abstain_reason,
                "min_score": self.min_score, "best_score": round(self.best_score, 4),
                "parts": [p.to_dict() for p in self.parts],
                "evidence": self.evidence_texts,
                "verdict": self.verdict.to_dict() if self.verdict else None,
                "rejected": self.rejected, "timings_ms": self.timings_ms}


class AnswerComposer:
    def __init__(self, knowledge, embed: Callable[[list[str]], np.ndarray], *, engine=None, style: str = "auto",
                 min_score: float = 0.0, model: SelectionModel | None = None,
                 search_k: int = 8, packaged_model: bool = True, keep_candidates: int = 5, spelling: bool = True,
                 likelihood=None):
        if style not in STYLES:
            raise ValueError(f"answer style must be one of {', '.join(STYLES)}")
        self.knowledge = knowledge
        self.engine = engine
        self.style = style
        self.search_k = search_k
        self.packaged_model = packaged_model
        self.keep_candidates = keep_candidates
        self.likelihood = likelihood  # query_likelihood.QueryLikelihood, or None: the confidence reads it when set
        self.statistics = TermStatistics(getattr(knowledge, "keywords", None))
        # the documents read whole, once per change of them, for the speller, the sources and the composer itself
        self.corpus = DocumentCorpus(knowledge)
        # the question in the knowledge base's spelling, before anything reads it (spelling.py); None: as written
        self.speller = QuestionSpeller(self.corpus) if spelling else None
        self.selector = EvidenceSelector(embed, self.statistics, model)
        self.sources = SourcePrecedence(self.corpus)
        self.table_cells = TableCells(knowledge)
        # 0 = the threshold calibrated with the selection model (wrong answers rarer than abstentions on the dev sets)
        self.min_score = float(min_score) if min_score else self.selector.model.threshold
        self._embed = embed

    def spell(self, text: str, language: str = "en") -> Corrected:
        """`text` in the knowledge base's spelling (spelling.py), with each correction: read once per turn (the
        question/request routing reads it, and `compose(..., spelled=)` answers it); unchanged when spelling is off."""
        return self.speller.correct(text, language) if self.speller is not None else Corrected(text, [], text)

    # -- which style answers this turn ------------------------------------------------------------------------
    @property
    def effective_style(self) -> str:
        if self.style != "auto":
            return self.style
        # the packaged 135M model cannot be trusted to reword facts: it states the evidence
        return "evidence" if self.packaged_model or self.engine is None else "rephrase"

    # -- the evidence answer ----------------------------------------------------------------------------------
    def compose(self, text: str, language: str, previous: dict | None = None,
                spelled: Corrected | None = None) -> ComposedAnswer:
        """The answer to `text`; `spelled`: `text` already spell-corrected this turn (`spell`), not corrected again."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        previous = previous or {}
        asked = text
        if spelled is None or spelled.original != text:
            t = time.perf_counter()
            spelled = self.spell(text, language)
            if self.speller is not None:
                timings["spelling_ms"] = _ms(t)
        text, corrections = spelled.text, spelled.corrections
        text = every_period_as_written(chinese_counts_as_digits(text))
        t = time.perf_counter()
        # "pls and for the Gold card? thx" is the follow-up "and for the Gold card?"
        asked_now = without_opener(text)
        names = self.names_in_documents(previous["question"]) \
            if previous.get("question") and is_followup(asked_now) else []
        question, followup = with_previous(asked_now, previous.get("question"), previous.get("subject_terms"), names)
        if followup is not None and previous.get("doc_ids"):
            # looked for first where the previous answer was found (see _previous_documents_first)
            followup["doc_ids"] = list(previous["doc_ids"])
        if followup is not None and followup.get("replaced") and previous.get("evidence"):
            followup["qualifiers"] = qualifiers(previous["evidence"], followup["replaced"])
        if followup is not None and followup.get("subject") and previous.get("units"):
            # "What about in Porto?" may be answered as the previous answer was (followup_evidence.py)
            followup["units"] = list(previous["units"])
        if followup is not None and followup.get("continuation") and previous.get("evidence"):
            # "and what's the penalty if I take the money out early?" goes on about what was just stated
            followup["evidence"] = previous["evidence"]
        parts, statements = split_question(question)
        if len(parts) == 1:
            parts[0].said = statements   # the customer's case, said beside the question (comparison_rows)
        for p in parts:
            if p.language != language and language == "zh":
                p.language = language
        if followup is not None and followup.get("continuation"):
            self._refer_back(parts, followup["previous"])
        elliptical_parts_carry_the_part_before(parts)
        glosses = [self.gloss(p.text) for p in parts]
        for p, g in zip(parts, glosses):
            p.gloss = g.text
        timings["analysis_ms"] = _ms(t)   # the follow-up read, the parts and their glosses
        answer = ComposedAnswer(question, language, "", "evidence", min_score=self.min_score, followup=followup,
                                asked=asked if corrections else "", corrections=corrections)
        answer.subject_terms = sorted(entity_names(question))

        t = time.perf_counter()
        curated = self._curated(parts, question)
        timings["curated_ms"] = _ms(t)
        # a seeded FAQ row waits for what the business's own documents say (source_precedence.py)
        if curated is not None and not (self.sources.is_seeded(curated.evidence[0].unit.doc_id)
                                        and self.sources.has_own_documents()):
            return self._curated_answer(answer, curated, timings, started)

        t = time.perf_counter()
        hits = self._retrieve(parts, question, followup)
        answer.hits = hits
        timings["retrieval_ms"] = _ms(t)
        t = time.perf_counter()
        units = _unique_units(u for h in hits for u in units_from_hit(_without_instructions(h)))
        # a table cell a part names by its column and row, wherever the search put its passage (table_cells.py)
        units = _unique_units([*units, *(cell for p in parts if (cell := self.table_cells.asked(
            p, asked_value(p.text), QUESTION_WORDS, asked_value_phrase(p.text))) is not None)])
        _add_ms(timings, "units_ms", t)
        t_embed = time.perf_counter()
        vectors = self._embed(_meaning_queries(parts, statements)) if units else None
        _add_ms(timings, "query_vectors_ms", t_embed)
        rankings = []
        # which English word a Chinese word stands for: the one the retrieved evidence uses most
        counts: dict[str, int] = {}
        if any(glosses) and units:
            for u in units:
                for term in set(terms(f"{u.text} {u.context}")):
                    counts[term] = counts.get(term, 0) + 1
        for i, part in enumerate(parts):
            weights = _term_weights(part.text, statements, followup, _carried_context(part, answer.parts),
                                    part.story, known=lambda t: self.statistics.df(t) > 0)
            if has_cjk(part.text):
                weights = chinese_weights(weights, lambda t: self.statistics.df(t) > 0, normalize_term)
                weights = mapped_weights(weights, lambda t: self.statistics.df(t) > 0, self.gloss)
            vector = vectors[i] if vectors is not None else None
            t_rank = time.perf_counter()
            ranked = self._rank(part, units, vector, weights, glosses[i], counts, timings)
            _add_ms(timings, "ranking_ms", t_rank)
            own = self.sources.own_units(units) if ranked else []
            if own and self.sources.contest(ranked[0].unit.doc_id, self.selector.model.confidence_of(ranked),
                                            self.min_score, len(parts)):
                # the business's own documents answer before the seeded starter articles (source_precedence.py)
                t_rank = time.perf_counter()
                own_ranked = self._rank(part, own, vector, weights, glosses[i], counts, timings)
                _add_ms(timings, "own_ranking_ms", t_rank)
                if own_ranked and self.selector.model.confidence_of(own_ranked) >= self.min_score:
                    ranked = own_ranked
            t_checks = time.perf_counter()
            if followup and followup.get("doc_ids") and ranked:
                ranked = self._previous_documents_first(ranked, followup["doc_ids"], followup.get("subject") or "")
            # the customer's own number ("I'm 30 weeks pregnant") picks the rule whose limits hold for it
            numbers = asked_quantities(f"{statements} {part.text}" if len(parts) == 1 else part.text)
            ranked = holding_first(numbers, ranked, named=quantities(part.text))
            # a part naming no case is answered by the general rule before one case's exception (case_scopes.py)
            ranked = general_rule_first(part, ranked, next((t for t in part.types if t in _VALUE_KINDS), None)) \
                or ranked
            # the unit whose own subject is the asked one before a neighbour about another thing (own_subjects.py)
            ranked = own_subject_first(part, ranked, statements) or ranked
            # the unit about the situation the customer tells before one about another (situation_evidence.py)
            ranked = situation_first(part, ranked, statements, QUESTION_WORDS) or ranked
            # the table cell the part names by its column and row before a sentence sharing the column's name
            ranked = asked_cell_first(part, ranked, asked_value(part.text), QUESTION_WORDS,
                                      asked_value_phrase(part.text)) or ranked
            answer.parts.append(self._choose(part, ranked, answer.parts, numbers, statements))
            if answer.parts[-1].unanswered and answer.parts[-1].confidence >= self.min_score:
                # the best units are another day's rule, state another charge, are another case's rule or are from
                # another section than the one named, or only repeat the question: the unit about the asked day,
                # charge, case or section (or the echo's next) answers, if any stands near
                reranked = asked_day_ranking(part, ranked) or other_charge_ranking(part, ranked) or \
                    other_scope_ranking(part, ranked) or \
                    other_section_ranking(part, ranked, known=lambda t: self.statistics.df(t) > 0) or \
                    echo_ranking(part, ranked) or \
                    self._english_when_chinese_declined(part, units, ranked, glosses[i], counts)
                retry = self._choose(part, reranked, answer.parts[:-1], numbers, statements) if reranked \
                    else None
                if retry is not None and retry.answered:
                    answer.parts[-1], ranked = retry, reranked
            rankings.append(ranked)
            if followup and followup.get("units") and not answer.parts[-1].answered \
                    and not answer.parts[-1].unanswered:
                self._from_previous_answer(answer.parts[-1], ranked, followup)
            if not answer.parts[-1].answered and not answer.parts[-1].unanswered:
                self._from_table(answer.parts[-1], ranked)
            if followup and answer.parts[-1].answered:
                reason = elsewhere_than_previous(answer.parts[-1].evidence, followup) or about_previous_subject(
                    [f"{e.unit.text} {e.unit.context} {e.unit.source_title}" for e in answer.parts[-1].evidence],
                    followup)
                if reason:
                    answer.parts[-1].evidence, answer.parts[-1].unanswered = [], reason
            _add_ms(timings, "checks_ms", t_checks)
        t_checks = time.perf_counter()
        if len(parts) > 1:
            self._place_evidence(answer, rankings)
            self._from_siblings(answer, rankings)
            self._in_sibling_document(answer, rankings, statements)
            self._not_the_same_value_twice(answer, rankings, statements)
        _add_ms(timings, "checks_ms", t_checks)
        timings["selection_ms"] = _ms(t)
        if curated is not None and not (answer.parts[0].answered
                                        and not self.sources.is_seeded(answer.parts[0].evidence[0].unit.doc_id)):
            answer.hits = []
            return self._curated_answer(answer, curated, timings, started)
        if len(answer.parts) == 1 and not answer.parts[0].answered and followup is None:
            self._overview(answer.parts[0], question, language)
        t = time.perf_counter()
        self._mark_unmentioned(answer, units)
        timings["unmentioned_ms"] = _ms(t)
        if not any(p.answered for p in answer.parts):
            answer.mode = "abstain"
            answer.reply = say("abstain", language)
            unmentioned = [n for p in answer.parts for n in p.unmentioned if n not in p.named_elsewhere]
            if unmentioned:
                answer.reply = f"{_unmentioned_sentence(unmentioned, language)} {answer.reply}"
        else:
            answer.reply = self.evidence_reply(answer)
            answer.sources = _sources(answer.parts)
        answer.timings_ms = {**timings, "total_ms": _ms(started)}
        return answer

    def _overview(self, answer: PartAnswer, question: str, language: str) -> None:
        """A question asking for a policy as a whole ("…, what's your return policy?"), which no ranked unit answers,
        is answered by the opening of the document about that policy (policy_overview.py)."""
        subject = overview_subject(question)
        documents = getattr(self.knowledge, "documents", None)
        passages = getattr(self.knowledge, "passages", None)
        if not subject or documents is None or passages is None:
            return
        own = self.sources.has_own_documents()
        units = overview_units(subject, documents(), passages, language,
                               prefer=lambda doc_id: own and not self.sources.is_seeded(doc_id))
        if units:
            answer.evidence = [ScoredUnit(u, 0.0, {"overview": 1.0}) for u in units]
            answer.unanswered, answer.overview = None, subject

    def _from_previous_answer(self, answer: PartAnswer, ranked: list[ScoredUnit], followup: dict) -> None:
        """An unconfident part of a follow-up about a new subject takes the counterpart of the evidence the previous
        answer stated ("A pick-up order is held for 10 days" on the Porto store's page for "What about in Porto?"
        after the Lisbon store's 7 days; followup_evidence.py), when the answerability checks pass for it."""
        unit = counterpart(answer.part, ranked, answer.confidence, followup)
        if unit is None:
            return
        chosen = [_focused(unit, answer.part.asked_text)]
        if unanswered(answer.part, chosen, ranked, set(), known=lambda t: self.statistics.df(t) > 0):
            return
        answer.evidence = chosen
        answer.from_previous = True

    def _from_table(self, answer: PartAnswer, ranked: list[ScoredUnit]) -> None:
        """An unconfident part that names one row and one column of a comparison table takes that cell
        (comparison_rows.named_cell, or `asked_cell` ranked first), when the answerability checks pass for it."""
        kind = asked_value(answer.part.text)
        unit = named_cell(answer.part, ranked, answer.confidence, kind, QUESTION_WORDS)
        if unit is None and ranked and asked_cell(answer.part, ranked, kind, QUESTION_WORDS,
                                                  asked_value_phrase(answer.part.text)) is ranked[0]:
            # the cell the part names by its column and row (comparison_rows.asked_cell), at any confidence: a cell
            # whose passage the search did not retrieve (table_cells.py) scores low, yet the question names it
            unit = ranked[0]
        if unit is None or unanswered(answer.part, [unit], ranked, set(), known=lambda t: self.statistics.df(t) > 0):
            return
        answer.evidence = [unit]
        answer.from_table = True

    def _curated_answer(self, answer: ComposedAnswer, curated: PartAnswer, timings: dict[str, float],
                        started: float) -> ComposedAnswer:
        answer.mode = "curated"
        answer.parts = [curated]
        unit = curated.evidence[0].unit
        answer.reply = say("single", answer.language, title=unit.source_title,
                           evidence=spelled_out(unit.text, unit.source_title))
        answer.sources = [_source(curated.evidence[0], curated.confidence)]
        answer.timings_ms = {**timings, "total_ms": _ms(started)}
        return answer

    def _rank(self, part: QuestionPart, units: list[EvidenceUnit], vector, weights: dict[str, float], gloss,
              counts: dict[str, int], timings: dict[str, float]) -> list[ScoredUnit]:
        """`units` ranked for `part`: the selection model's scores, a Chinese part's English units scored through its
        gloss (`_bridged`), the best units' query likelihood."""
        ranked = named_columns_only(part, self.selector.rank(part, units, vector, weights)) if units else []
        if gloss and ranked:
            resolved = gloss.resolved(counts, terms)
            part.gloss = resolved.text
            ranked = named_columns_only(part, self._bridged(part, units, ranked, resolved.weights(terms)))
        # a row none of whose columns the part names is one answer, each column's value (comparison_rows)
        ranked = row_together(part, ranked)
        # a list item that only names a thing is said with its lead-in (list_lead_ins.py)
        ranked = item_with_lead_in(ranked)
        if self.likelihood is not None and ranked and scored_here(part.text):
            t_likelihood = time.perf_counter()
            ranked = self._with_likelihood(part, ranked)
            timings["likelihood_ms"] = round(timings.get("likelihood_ms", 0.0) + _ms(t_likelihood), 2)
        return ranked

    def _refer_back(self, parts: list[QuestionPart], previous: str) -> None:
        """A part that goes on from the previous question and says next to nothing of its own ("is it the same for
        me?", "does that apply to joint accounts too?": at most one word the knowledge base uses in the clause that
        refers back, whatever the customer says of themselves before it: "I only became a member last month, is it
        the same for me?") is about what the previous question asked: that question is its context, read with it for
        its meaning (`_part_query`). So is a clause ending on what it refers back to, whatever else it says ("do i
        have to pay a fee for that": the fee is asked of what the previous question asked about), and a part that
        says its subject only by pointing back to it (`question_analysis.points_back`: "can I do that on a Light
        ticket?" after the miles for an upgrade)."""
        for p in parts:
            clause = next((c for c in reversed(re.split(r"[,;，；]", p.text)) if REFERS_BACK.search(c)), "")
            if p.context:
                continue
            if points_back(p.text):
                # "can I do that on a Light ticket?", "so how much is it for him to go in the hold?": whatever it
                # names, what it asks about is only pointed to; the previous question says what that is
                p.context = previous
                continue
            if not clause:
                continue
            own = [t for t in dict.fromkeys(terms(clause)) if self.statistics.df(t) > 0]
            if len(own) <= 1 or ENDS_ON_WHAT_WAS_SAID.search(clause):
                p.context = previous

    def _curated(self, parts: list[QuestionPart], question: str) -> PartAnswer | None:
        if len(parts) != 1 or not hasattr(self.knowledge, "curated_answer"):
            return None
        match = self.knowledge.curated_answer(question)
        if match is None:
            return None
        disagreement = self.curated_disagreement(parts[0], match.question, match.answer)
        if disagreement:
            log.debug("curated row %r not used for %r: %s", match.question, question, disagreement)
            return None
        unit = EvidenceUnit(clean(match.answer), match.question, "faq_answer", match.question.strip(), match.doc_id,
                            f"curated:{match.doc_id}", float(match.score), parts[0].language, 0)
        scored = ScoredUnit(unit, float(match.score), {"curated": float(match.score)})
        return PartAnswer(parts[0], [scored], [scored],
                          curated={"question": match.question, "doc_id": match.doc_id, "score": match.score},
                          confidence=float(match.score))

    def curated_disagreement(self, part: QuestionPart, row_question: str, row_answer: str) -> str | None:
        """Why a curated row that looks like the question must not answer it, or None when it may.

        The embedding of a short question says more about its shape than its subject ("How long does the switch
        take?" sits next to "How long does a refund take?"), so a row answers only when it is about what is asked:
        - the names the customer asked about (Gold, Lisbon, Apple Pay) are in the row;
        - the question's most specific words (IDF in this knowledge base within 80 % of the highest; the question
          was spell-corrected first) are in the row's question or answer;
        - the kind of answer asked for (a duration, an amount, a time ...) is what the row's question asks, or a
          value of that kind is in its answer."""
        row_text = f"{row_question} {row_answer}"
        row_terms = set(terms(row_text))
        row_lower = row_text.lower()
        missing_names = [n for n in entity_names(part.text) if n not in row_lower and not set(terms(n)) <= row_terms]
        if missing_names:
            return f"asks about {', '.join(sorted(missing_names))}, which the row does not mention"
        known = [t for t in dict.fromkeys(terms(part.text)) if self.statistics.df(t) > 0]
        if known:
            top = max(self.statistics.idf(t) for t in known)
            missing = [t for t in known if self.statistics.idf(t) >= 0.8 * top and t not in row_terms]
            if missing:
                return f"its most specific word(s) {', '.join(map(repr, missing))} are not in the row"
        value_types = [t for t in part.types if t not in ("yes_no", "general", "procedure", "options")]
        if value_types:
            kind = value_types[0]
            row_types = answer_types(row_question)
            unit = EvidenceUnit(row_answer, row_question, "faq_answer", "", "", "", 0.0, part.language, 0)
            if kind not in row_types and not has_value(kind, unit):
                return f"asks for a {kind}, which the row neither asks for nor states"
        return None

    def gloss(self, text: str, whole: bool = False):
        """A Chinese question's English words that the knowledge base uses (cross_language.py)."""
        return gloss(text, lambda t: self.statistics.df(t) > 0, terms, whole)

    def _said_in_english(self, word: str, corpus: str, own: bool = False) -> bool:
        """A Chinese word the evidence states in English: one of its senses, as a phrase ("home loan" is not said
        by "home improvement loan"; 租车 "rent a car" is not said by "car loan" and "rent"). `own`: only by the
        word's own senses, not by those of its pieces (租 "rent", 车 "car": somewhere in a bank's articles both are)."""
        for source, senses in self.gloss(word, whole=True).items:
            if own and source != word:
                continue
            for sense in senses:
                words = [re.escape(w) + r"(?:s|es|ed|ing)?" for w in sense.split()]
                if words and re.search(r"\b" + r"\W+(?:(?:a|an|the|of|your|my|our)\W+)?".join(words) + r"\b", corpus):
                    return True
        return False

    def _bridged(self, part: QuestionPart, units: list[EvidenceUnit], ranked: list[ScoredUnit],
                 weights: dict[str, float]) -> list[ScoredUnit]:
        """A Chinese part's ranking with its English units scored as the English question its gloss spells (the
        embedder and the word match know English words only), unless its Chinese units alone already answer it
        confidently; its Chinese units keep their own scores. A dictionary
        gloss is a guess, so an English unit ranks above a Chinese one only by more than `_BRIDGE_PENALTY`: the
        customer's own language wins a near tie."""
        english = [u for u in units if u.language != "zh"]
        if not english or not part.gloss:
            return ranked
        # a Chinese answer the model is confident in stands (the knowledge base speaks Chinese on this): English
        # evidence steps in only where no Chinese unit would be stated
        chinese = [s for s in ranked if s.unit.language == "zh"]
        if chinese and self.selector.model.confidence_of(chinese) >= self.min_score:
            return ranked
        bridged = dataclasses.replace(part, text=part.gloss, language="en", context="", gloss="")
        scored = {id(s.unit): s for s in ranked if s.unit.language == "zh"}
        penalty = _BRIDGE_PENALTY if scored else 0.0
        for s in self.selector.rank(bridged, english, None, weights):
            scored[id(s.unit)] = dataclasses.replace(s, score=s.score - penalty)
        return sorted(scored.values(), key=lambda s: s.score, reverse=True)

    def _english_when_chinese_declined(self, part: QuestionPart, units: list[EvidenceUnit],
                                       ranked: list[ScoredUnit], gloss, counts: dict[str, int]) -> list[ScoredUnit]:
        """A Chinese part whose confident Chinese evidence a check declined as a value about something else ("搬家要提前
        几天通知你们？": the Chinese article's sentence naming 搬家 states another notice period) ranked among the English
        units alone, as the English question its gloss spells: the English articles may say it, and `_bridged` never
        asked them because the Chinese units looked confident. Not where the best unit states no value of the kind
        asked ("Plus 每月多少钱？" → "免费交易次数：Plus: 5 次": the question is the documents' words, and a count of free
        trades in English is no answer either). The retry is answered only as any part is (confidence, every check)."""
        # the business's own English articles, not the seeded starter ones (a dictionary gloss is a guess: "可以开中文
        # 发票吗？" is not answered by the demo shop's invoice FAQ)
        english = [u for u in units if u.language != "zh" and not self.sources.is_seeded(u.doc_id)]
        if not english or not gloss or not has_cjk(part.text) or not ranked \
                or no_value(part, ranked[:1]) is not None:
            return []
        resolved = gloss.resolved(counts, terms)
        if not resolved:
            return []
        bridged = dataclasses.replace(part, text=resolved.text, language="en", context="", gloss="")
        ranked = named_columns_only(part, self.selector.rank(bridged, english, None, resolved.weights(terms)))
        return item_with_lead_in(row_together(part, ranked))

    def _previous_documents_first(self, ranked: list[ScoredUnit], doc_ids: list[str], subject: str = ""
                                  ) -> list[ScoredUnit]:
        """A follow-up's ranking with the units of the documents the previous answer came from, when they alone
        answer it confidently: "and by when do I have to sign up?" after the spring term's dates is the term's
        enrolment date, not a shop account's sign-up help elsewhere in the knowledge base. A follow-up about a new
        subject ("and the flex one?") keeps only the units that name it ("Plan: Flex; Monthly price: $29", not the
        Premier row, and nothing of the Gold card's document for "and for the Platinum card?")."""
        wanted = set(terms(subject))
        own = [s for s in ranked if s.unit.doc_id in doc_ids and s.unit.kind != "faq_answer"
               and wanted <= said_terms(s)]
        if not own or own[0] is ranked[0] or self.selector.model.confidence_of(own) < self.min_score:
            return ranked
        return own

    def _with_likelihood(self, part: QuestionPart, ranked: list[ScoredUnit]) -> list[ScoredUnit]:
        """The best units with their query likelihood in `parts` ("upr", "upr_null"; query_likelihood.py), read as
        the reply would state them (a table row narrowed to the asked column, labelled items to the name asked)."""
        best = ranked[:LIKELIHOOD_K]
        said = [_focused(c, part.asked_text).unit for c in best]
        try:
            values, null = self.likelihood.score(part.text, [passage_text(u.source_title, u.context, u.text)
                                                             for u in said])
        except Exception:  # the model could not be read: the part is scored as without it (upr_absent)
            log.exception("query likelihood failed; the confidence reads the part without it")
            return ranked
        scored = [dataclasses.replace(c, parts={**c.parts, "upr": v, "upr_null": null}) for c, v in zip(best, values)]
        return scored + ranked[LIKELIHOOD_K:]

    def document_coverage(self, answer: ComposedAnswer) -> Coverage:
        """The answered-or-not question's content words the knowledge base holds (document_vocabulary.py): the
        policy reads an unanswered question most of whose words are the documents' as a knowledge gap."""
        return coverage(answer.question, self.statistics.df, lambda word: bool(self.gloss(word, whole=True)))

    def names_in_documents(self, question: str) -> list[str]:
        """The words of `question` that the passages it retrieves write as names ("intensive" in "how many students
        are in an intensive class?", where the documents say "an Intensive course"): the terms a follow-up ("and in
        the standard ones?") swaps, when the customer did not capitalise them."""
        words = name_candidates(question)
        if not words:
            return []
        texts = [hit.text for hit in self.knowledge.search(question, k=self.search_k)]
        names = sorted(w for w in words if written_as_name(w, texts))
        return names + two_word_names(question, names, texts)

    def _retrieve(self, parts: list[QuestionPart], question: str, followup: dict | None = None) -> list[Hit]:
        queries = [question] + ([_part_query(p) for p in parts] if len(parts) > 1 else [])
        if followup and followup.get("continuation"):
            # "and by when do I have to sign up?" after "when does the spring term start?" is about the spring term
            queries.append(f"{followup['previous']} {question}")
        # a Chinese question also searches as the English words it glosses to (English documents)
        queries += [p.gloss for p in parts if p.gloss]
        searches = [(query, None) for query in queries]
        if followup and followup.get("doc_ids"):
            # a follow-up is most likely answered where the previous answer was found
            searches.append((question, {"doc_id": list(followup["doc_ids"])}))
        best: dict[str, Hit] = {}
        for query, filters in searches:
            for hit in self.knowledge.search(query, k=self.search_k, **({"filters": filters} if filters else {})):
                if hit.chunk_id not in best or hit.score > best[hit.chunk_id].score:
                    best[hit.chunk_id] = hit
        return sorted(best.values(), key=lambda h: h.score, reverse=True)

    def _choose(self, part: QuestionPart, ranked: list[ScoredUnit], earlier: list[PartAnswer],
                numbers: list | None = None, statements: str = "", sibling_document: bool = False) -> PartAnswer:
        """`numbers`: the customer's own quantities (number_conditions.asked_quantities): a unit whose limits do not
        hold for them is not stated beside one whose limits do. `statements`: what the customer said around the
        question ("I'm not on the register."), whose denied case the evidence must not be about.
        `sibling_document`: the best unit is in the document a sibling part is answered from (`_in_sibling_document`)."""
        answer = PartAnswer(part, candidates=ranked[:self.keep_candidates],
                            confidence=self.selector.model.confidence_of(ranked))
        # an unconfident part the evidence answers in so many words (sub_threshold_lifts.py): its best unit's
        # condition settles the customer's number ("between the ages of 18 and 74" for "my dad is 76"), or it is the
        # rule of the thing the customer names, first by meaning and by words alike
        lifted = lift_reason(part.text, answer.confidence, self.min_score, ranked, numbers or []) or \
            (SIBLING_DOCUMENT if sibling_document and SIBLING_FLOOR <= answer.confidence < self.min_score else "")
        if lifted:
            answer.confidence, answer.lifted = self.min_score, lifted
        if not ranked or answer.confidence < self.min_score:
            return answer
        model = self.selector.model
        # a lifted part states the unit that answers it, not the neighbours within the margin (a passage holding that
        # rule and another case's rule beside it)
        picked = ranked[:1] if answer.lifted else \
            pick_units(ranked, model.margin, model.max_units, asked_types=part.types)
        chosen = [_focused(c, part.asked_text) for c in without_failing(numbers or [], picked)]
        chosen = without_unnamed_rows(part, chosen, ranked, asked_value(part.text) is not None, QUESTION_WORDS)
        # a list item whose lead-in sets the condition on the customer's number is stated with its lead-in
        stated_condition = with_stated_condition(numbers or [], chosen, ranked)
        if stated_condition is None:
            answer.unanswered = "the condition on the customer's number is in a list's lead-in, which is not stated"
            return answer
        chosen = stated_condition
        # rows of a comparison table the part names alike are each a case of what it asks (comparison_rows)
        chosen = rows_named_alike(part, chosen, ranked, asked_value(part.text) is not None, QUESTION_WORDS)
        # confident is not enough: the units must state what the part asks (answerability.py)
        carried = subject_terms(earlier[-1].part.text) if earlier else set()
        reason = unanswered(part, chosen, ranked, carried, known=lambda t: self.statistics.df(t) > 0,
                            statements=statements) or \
            unstated_subject(part, chosen, lambda word, corpus: self._said_in_english(word, corpus, own=True)) or \
            not_about_part_before(part, chosen, earlier[-1].part.text if earlier else "") or \
            value_asked_before(part, chosen, earlier[-1].part if earlier else None)
        if reason:
            answer.unanswered = reason
            return answer
        # a part whose evidence was already stated for an earlier part adds nothing new; a passage that holds an
        # earlier part's sentence and more states what it adds (held_beyond_stated)
        stated = [e.unit.text for p in earlier for e in p.evidence]
        kept = []
        for c in chosen:
            if not any(near_duplicate(c.unit.text, s) for s in stated):
                kept.append(c)
                continue
            rest = held_beyond_stated(c, ranked, stated, model.margin) or row_beyond_stated(c, stated)
            rest = _focused(rest, part.asked_text) if rest is not None else None
            if rest is not None and not any(rest.unit.text == k.unit.text for k in kept) and not unanswered(
                    part, [rest], ranked, carried, known=lambda t: self.statistics.df(t) > 0):
                kept.append(rest)
        chosen = kept or ([] if stated else chosen)
        if not chosen and stated:
            answer.evidence = []
            answer.curated = {"same_as_earlier_part": True}
            return answer
        answer.evidence = chosen
        return answer

    def _place_evidence(self, answer: ComposedAnswer, rankings: list[list[ScoredUnit]]) -> None:
        """A unit that is the best for two parts answers the part it is more clearly about (its larger lead over that
        part's runner-up); the other part is answered by its next units when they are confident enough, else said to
        be unknown. ("What do I need to bring to pick up my order? Can my friend collect it?": "Someone else can
        collect the order if they bring the order id and a signed note" is about the friend.) Two units are the same
        statement when one holds the other (a sentence and the passage around it): "how long does a repeat
        prescription take?" is not answered by the passage whose sentence says how often a review is due. A sentence
        is not given to a part whose best is a passage around it and as much again (`_holds_more_than`): that part
        leads with the passage, perhaps for its other sentences."""
        for i, p in enumerate(answer.parts):
            ranked = rankings[i]
            if not p.answered or len(ranked) < 2:
                continue
            top = ranked[0].unit.text
            lead = _lead(ranked)
            for j, other in enumerate(rankings):
                if j == i or not other or not near_duplicate(other[0].unit.text, top):
                    continue
                if _holds_more_than(other[0].unit.text, top):
                    # the other part's best is a passage around this unit: what leads there may be its other
                    # sentences ("How much do couriers earn per delivery and when do we get paid?": the Pay list
                    # leads for the earnings, its "paid every Wednesday" sentence is no answer to them)
                    continue
                if _lead(other) <= lead:
                    continue
                target = answer.parts[j]
                if not target.answered and not target.unanswered:
                    target.evidence, target.curated = [ranked[0]], None
                    target.confidence = max(target.confidence, p.confidence)
                replacement = self._choose(p.part, [r for r in ranked if not near_duplicate(r.unit.text, top)],
                                           answer.parts[:i])
                if _holds_only_there(p.part, ranked[0], replacement):
                    # the part's next units lack the value it asks for, which the shared unit states: the unit
                    # answers both parts, stated once (for the earlier part)
                    later = answer.parts[max(i, j)]
                    later.evidence, later.curated, later.unanswered = [], {"same_as_earlier_part": True}, None
                    # a table row the earlier part states only some columns of: the later part states the others
                    rest = row_beyond_stated(ranked[0], [e.unit.text for e in answer.parts[min(i, j)].evidence])
                    if rest is not None and not unanswered(later.part, [rest], rankings[max(i, j)], set(),
                                                           known=lambda t: self.statistics.df(t) > 0):
                        later.evidence, later.curated = [rest], None
                    break
                if not replacement.answered and not replacement.unanswered:
                    replacement.unanswered = (f"its best evidence is about part {j + 1} "
                                              f"(“{target.part.text.strip()}”), and the next is not confident enough")
                answer.parts[i] = replacement
                break

    def _from_siblings(self, answer: ComposedAnswer, rankings: list[list[ScoredUnit]]) -> None:
        """A part left unanswered takes a unit another part of the question states confidently, when its own ranking
        points to that unit and the unit states what it asks (sibling_evidence.py); the very unit an earlier part
        states is stated once, for that part."""
        known = lambda t: self.statistics.df(t) > 0  # noqa: E731
        for i, p in enumerate(answer.parts):
            if p.answered or p.unmentioned or (p.curated or {}).get("same_as_earlier_part"):
                continue
            siblings = [(j, q) for j, q in enumerate(answer.parts)
                        if j != i and q.answered and q.curated is None and q.confidence >= self.min_score]
            for j, sibling in siblings:
                unit = sibling_unit(p.part, rankings[i], [(sibling.part, sibling.evidence)], self.statistics.idf,
                                    known)
                if unit is None:
                    continue
                chosen = [_focused(unit, p.part.asked_text)]
                carried = subject_terms(answer.parts[i - 1].part.text) if i else set()
                if unanswered(p.part, chosen, rankings[i], carried, known=known):
                    continue
                p.unanswered, p.from_part = None, j + 1
                if j < i and any(near_duplicate(chosen[0].unit.text, e.unit.text) for e in sibling.evidence) \
                        and not _states_more_figures(p.part, chosen[0], sibling.evidence):
                    p.evidence, p.curated = [], {"same_as_earlier_part": True}   # stated once, for the earlier part
                else:
                    p.evidence = chosen
                break

    def _in_sibling_document(self, answer: ComposedAnswer, rankings: list[list[ScoredUnit]], statements: str) -> None:
        """A part left under the threshold whose best unit is another unit of the document a sibling part is
        confidently answered from is answered by that unit, from `SIBLING_FLOOR` up (sibling_evidence.py)."""
        for i, p in enumerate(answer.parts):
            if p.answered or p.unanswered or p.unmentioned or p.curated is not None or \
                    not SIBLING_FLOOR <= p.confidence < self.min_score:
                continue
            siblings = [q.evidence for j, q in enumerate(answer.parts)
                        if j != i and q.answered and q.curated is None and q.from_part is None
                        and q.confidence >= self.min_score]
            if not in_sibling_document(rankings[i], siblings, near_duplicate):
                continue
            retry = self._choose(p.part, rankings[i], answer.parts[:i], asked_quantities(p.part.text), statements,
                                 sibling_document=True)
            if retry.answered:
                answer.parts[i] = retry

    def _not_the_same_value_twice(self, answer: ComposedAnswer, rankings: list[list[ScoredUnit]],
                                  statements: str) -> None:
        """A part asking for the same kind of value as an earlier part, stated by another unit with only the figures
        the earlier part's evidence gives, is said to be unknown (answerability.value_of_earlier_part): after the
        evidence is placed, so that a unit moved to another part is judged where it is stated. Its next units that
        give another figure of that kind answer it, when they are confident enough without those units ("how long do
        I have to return something and how long does the refund take": not the 14 days again, from the sentence
        promising a full refund, but the refund's 5 working days, ranked next)."""
        for i, p in enumerate(answer.parts):
            if not i or not p.answered:
                continue
            earlier = [(q.part, q.evidence) for q in answer.parts[:i]]
            reason = value_of_earlier_part(p.part, p.evidence, earlier)
            if not reason:
                continue
            rest = [r for r in rankings[i] if not value_of_earlier_part(p.part, [r], earlier)]
            retry = self._choose(p.part, rest, answer.parts[:i], asked_quantities(p.part.text), statements) \
                if len(rest) < len(rankings[i]) else None
            if retry is not None and retry.answered and not value_of_earlier_part(p.part, retry.evidence, earlier):
                answer.parts[i] = retry
            else:
                p.evidence, p.unanswered, p.from_part = [], reason, None

    def _mark_unmentioned(self, answer: ComposedAnswer, units: list[EvidenceUnit]) -> None:
        """Names the customer asked about that appear in no unit ("Apple Pay", "支付宝"). A Chinese word no unit says
        in English is still mentioned when a sense of its own is said anywhere in the documents ("passenger ticket"
        for 机票 is in the airline's refund article, not among the units about change fees)."""
        corpus = " ".join(f"{u.text} {u.context}" for u in units).lower()
        corpus_terms = set(terms(corpus))
        df = self.statistics.df if getattr(self.knowledge, "keywords", None) is not None else None
        for p in answer.parts:
            names = []
            for match in re.finditer(r"\b[A-Z][a-zA-Z0-9]+(?:[ -][A-Z][a-zA-Z0-9]+)*", p.part.text):
                name = match.group(0)
                if match.start() == 0 and " " not in name:
                    continue
                if name.lower() in ("i", "i'm") or name.lower() in corpus or _CALENDAR.fullmatch(name):
                    continue  # a day or a month is a value the evidence states or not, never a thing it may lack
                if set(terms(name)) <= corpus_terms:
                    continue
                names.append(name)
            if df is not None and p.part.language == "zh":
                unknown = [w for w in terms(p.part.text)
                           if re.fullmatch(rf"[{HAN}]{{2,}}", w) and w not in corpus_terms and df(w) == 0
                           and not self._said_in_english(w, corpus)
                           and not self._said_in_english(w, self.corpus.current().lower_text, own=True)]
                if unknown:  # the tagger (its first call loads in ~0.5 s) only when a word is unknown
                    nouns = chinese_nouns(p.part.text)
                    names += [w for w in unknown if w in nouns]
            names = list(dict.fromkeys(names))
            # "Going to Brazil in spring - can I get my yellow fever jab?": a name that only sets the scene
            p.incidental = incidental(names, p.part, [e.unit.text for e in p.evidence],
                                      known=(lambda t: df(t) > 0) if df is not None else None)
            p.unmentioned = [n for n in names if n not in p.incidental]
            if df is not None:
                # "SUV" found in no candidate but written in another document: the part stays unanswered, yet the
                # reply must not tell the customer the help articles never mention it
                p.named_elsewhere = [n for n in p.unmentioned if terms(n) and all(df(t) > 0 for t in terms(n))]
            if p.unmentioned and p.answered:
                # what the customer asks about is nowhere in the documents: no unit can confirm or deny it
                p.unanswered = f"asks about {', '.join(p.unmentioned)}, which the documents never mention"
                p.evidence = []
        for before, p in zip(answer.parts, answer.parts[1:]):
            if before.unmentioned and not p.unmentioned and p.answered and self._goes_on_from_before(p.part):
                # "礼品卡有有效期吗？过期了怎么办？": what to do once it expires is about the expiry the documents never
                # mention; evidence found for its own few words is about something else
                p.unanswered = (f"goes on from “{before.part.text.strip()}”, which asks about "
                                f"{', '.join(before.unmentioned)}, which the documents never mention")
                p.evidence = []

    def _goes_on_from_before(self, part: QuestionPart) -> bool:
        """A part with no subject of its own: a Chinese part with no noun ("过期了怎么办？"), an English part that refers
        back ("and how long does it take?") with at most one word the knowledge base uses besides its question
        words."""
        if has_cjk(part.text):
            return not chinese_nouns(part.text)
        if not REFERS_BACK.search(part.text):
            return False
        own = [t for t in subject_terms(part.text) if self.statistics.df(t) > 0]
        return len(own) <= 1

    def evidence_reply(self, answer: ComposedAnswer) -> str:
        return stated_reply([{"part": p.part.text, "answered": p.answered,
                              "evidence": [(e.unit.source_title, e.unit.text) for e in p.evidence],
                              "same_as_earlier": bool((p.curated or {}).get("same_as_earlier_part")),
                              "unmentioned": p.unmentioned, "named_elsewhere": p.named_elsewhere}
                             for p in answer.parts], answer.language)

    # -- the model's rewording, verified ----------------------------------------------------------------------
    def reword(self, answer: ComposedAnswer, params, cancel=None) -> Iterator[str]:
        """Stream nothing until the rewording is verified; then yield it (or nothing if it was rejected).

        The answer's `mode`, `reply` and `verdict` are updated in place."""
        style = self.effective_style
        if self.engine is None or style == "evidence" or answer.mode in ("abstain",):
            return
        from components.answers.prompts import reword_messages

        messages = reword_messages(answer, free=(style == "generate"))
        text = ""
        stats: dict = {}
        stream = self.engine.stream(messages, params, cancel=cancel)
        try:
            for delta in stream:
                text += delta
        finally:
            stats = dict(getattr(stream, "stats", {}) or {})
        evidence = answer.evidence_texts if style == "rephrase" else \
            answer.evidence_texts + [remove_instructions(h.text) for h in answer.hits[:3]]
        verdict = verify(text, evidence, answer.question)
        answer.verdict = verdict
        answer.timings_ms["generation"] = {k: stats[k] for k in stats if isinstance(stats[k], (int, float, str))}
        if verdict.ok:
            answer.reply = text.strip() + "\n\n" + _citation(answer)
            answer.mode = "rephrased" if style == "rephrase" else "generated"
            yield answer.reply
        else:
            answer.rejected.append({"text": text.strip()[:600], "reason": verdict.reason})


_VALUE_KINDS = ("phone", "email", "duration", "amount", "percentage", "time", "count")


def held_beyond_stated(passage: ScoredUnit, ranked: list[ScoredUnit], stated: list[str],
                       margin: float) -> ScoredUnit | None:
    """The part of `passage` an earlier part did not state, as this part's own ranking has it, or None. "How long can
    I spread it over, and do you charge interest?": the passage "You can spread what you owe over up to 24 months
    ... We do not charge interest or fees on a payment plan. ..." is the second part's best unit, and holds the
    sentence the first part states; its sentence "We do not charge interest ..." (a shorter unit the passage holds,
    scoring within `margin` of the best) is what the second part adds, where the passage would be "the same as the
    earlier part" and the interest never said."""
    if not ranked:
        return None
    best = ranked[0].score
    for r in ranked[:12]:
        if r.score < best - margin:
            break
        if r is passage or len(r.unit.text) >= len(passage.unit.text):
            continue
        if near_duplicate(r.unit.text, passage.unit.text) and not any(near_duplicate(r.unit.text, s) for s in stated):
            return r
    return None


def _focused(scored: ScoredUnit, question: str) -> ScoredUnit:
    """A unit narrowed to what the question asks: a table row to the columns it names (comparison_rows.focus_row),
    a list to the items it names (answerability.focus_items)."""
    return focus_items(focus_row(scored, question, asked_value(question)), question)


def _holds_only_there(part: QuestionPart, shared: ScoredUnit, replacement: PartAnswer) -> bool:
    """Does the unit best for two parts hold the value `part` asks for ("how long is the placement test": "takes
    about 40 minutes", in the passage that also says when the result comes), while the units that would answer it
    in its place hold none of that kind?"""
    kind = next((t for t in part.types if t in _VALUE_KINDS), None)
    if kind is None or not has_value(kind, shared.unit):
        return False
    return not any(has_value(kind, e.unit) for e in replacement.evidence)


def elsewhere_than_previous(evidence: list[ScoredUnit], followup: dict) -> str | None:
    """Why the evidence for a question that goes on from the previous one ("ok and by when do I have to sign up?"
    after the spring term's dates) is about something else, or None: it comes from none of the documents the previous
    answer came from and says none of the previous question's words (a shop account's sign-up help is not the
    term's enrolment date). A follow-up that names its own subject ("and for the Gold card?") is not read so."""
    if not followup.get("continuation") or not followup.get("doc_ids") or not evidence:
        return None
    previous = set(terms(followup.get("previous") or ""))
    for e in evidence:
        if e.unit.doc_id in followup["doc_ids"]:
            return None
        if previous & set(terms(f"{e.unit.source_title} {e.unit.context} {e.unit.text}")):
            return None
    return (f"it goes on from “{followup.get('previous')}”, but its best evidence comes from another document and "
            f"says nothing of what that question asked")


_IS_THERE = re.compile(r"^\s*(is|are) there (a |an |any )?(.+?)\s*[?？]\s*$", re.I)
_BARE_YES_NO = re.compile(r"^\s*(no|yes)\s*[.!]\s*", re.I)


def spelled_out(text: str, faq_question: str) -> str:
    """A FAQ answer that starts with a bare "No." / "Yes." says what it denies or confirms, from the FAQ question:
    "Is there a cancellation fee?" + "No. When a pending order …" -> "No, there is no cancellation fee. When …"."""
    asked, bare = _IS_THERE.match(faq_question or ""), _BARE_YES_NO.match(text or "")
    if not asked or not bare:
        return text
    verb, article, thing = asked.group(1).lower(), (asked.group(2) or "").strip().lower(), asked.group(3)
    if bare.group(1).lower() == "no":
        said = f"No, there {verb} no {thing}."
    else:
        said = f"Yes, there {verb} {article + ' ' if article and article != 'any' else ''}{thing}."
    rest = text[bare.end():].strip()
    return f"{said} {rest}".strip()


def stated_reply(parts: list[dict], language: str) -> str:
    """The evidence reply: each part's stated units, cited by their titles, or the part said to be unknown.
    `parts`: {"part": its text, "answered", "evidence": [(title, text)], "same_as_earlier": its evidence was stated
    for an earlier part, "unmentioned": names no evidence found states, "named_elsewhere": those of them the documents
    do use elsewhere, which the reply does not call unmentioned}. The one wording the composer says and
    the calibration's replay judges. Units from more than one title are grouped by title, each cited."""
    answered = [p for p in parts if p["answered"]]
    paragraphs = []
    if len(parts) == 1 or (len(answered) == 1 and all(p["answered"] or p["same_as_earlier"] for p in parts)):
        groups = _by_title(answered[0]["evidence"], language)
        paragraphs.append(say("single", language, title=groups[0][0], evidence=groups[0][1]) +
                          "".join(say("single_more", language, title=t, evidence=e) for t, e in groups[1:]))
    else:
        for p in parts:
            if p["answered"]:
                groups = _by_title(p["evidence"], language)
                evidence = join_sentences([e for _, e in groups], language)
                titles = say("title_join", language).join(say("title", language, title=t) for t, _ in groups)
                paragraphs.append(say("part", language, part=p["part"].strip(), evidence=evidence, titles=titles))
            elif not p["same_as_earlier"] and not _said_unmentioned(p):
                paragraphs.append(say("part_unknown", language, part=p["part"].strip()))
    unmentioned = [n for p in parts for n in _said_unmentioned(p)]
    if unmentioned:
        paragraphs.append(_unmentioned_sentence(unmentioned, language))
    return "\n\n".join(paragraphs)


def _said_unmentioned(part: dict) -> list[str]:
    """The names a reply says the help articles never mention: not those written in another document."""
    elsewhere = set(part.get("named_elsewhere") or ())
    return [n for n in part["unmentioned"] if n not in elsewhere]


def _by_title(evidence: list[tuple], language: str) -> list[tuple[str, str]]:
    """[(title, the sentences stated from it)], titles in the order their first unit is stated."""
    groups: dict[str, list[str]] = {}
    for title, text in evidence:
        groups.setdefault(title, []).append(_sentence(spelled_out(row_as_said(text), title), language))
    return [(t, join_sentences(s, language)) for t, s in groups.items()]


def _unmentioned_sentence(names: list[str], language: str) -> str:
    names = list(dict.fromkeys(names))
    if language == "zh":
        return say("unmentioned", language, names="、".join(f"“{n}”" for n in names))
    quoted = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return say("unmentioned", language, names=quoted)


def _citation(answer: ComposedAnswer) -> str:
    titles = list(dict.fromkeys(s["title"] for s in answer.sources))
    if answer.language == "zh":
        return "来源：" + "、".join(f"《{t}》" for t in titles)
    return "Source: " + "; ".join(f"“{t}”" for t in titles)


def join_sentences(sentences: list[str], language: str) -> str:
    """The stated sentences one after another: with a space in English; in a Chinese reply none, except between two
    sentences written in Latin letters (an English document quoted in a Chinese reply: "… 20:00. Date: …")."""
    if language != "zh":
        return " ".join(sentences)
    out = ""
    for sentence in sentences:
        if out and re.search(r"[A-Za-z0-9.!?:)]$", out) and re.match(r"[A-Za-z0-9(]", sentence):
            out += " "
        out += sentence
    return out


def _sentence(text: str, language: str) -> str:
    text = text.strip()
    if language == "zh" or has_cjk(text[-1:]):
        return text if text.endswith(("。", "！", "？", ".", "!", "?")) else text + "。"
    text = text[0].upper() + text[1:] if text else text
    return text if text.endswith((".", "!", "?", ":", "。")) else text + "."


def _source(scored: ScoredUnit, confidence: float) -> dict:
    """A cited source: its readable title, the sentence stated, and the confidence (0..1) of the part it answers."""
    u = scored.unit
    return {"title": u.source_title, "doc_id": u.doc_id, "score": round(float(confidence), 4), "evidence": u.text}


def _sources(parts: list[PartAnswer]) -> list[dict]:
    out, seen = [], set()
    for p in parts:
        for e in p.evidence:
            if e.unit.source_title not in seen:
                seen.add(e.unit.source_title)
                out.append(_source(e, p.confidence))
    return out


def _holds_more_than(passage: str, unit: str) -> bool:
    """Does `passage` hold `unit` and as much again of its own (the unit's words are under half of the passage's)?"""
    tp, tu = set(terms(passage)), set(terms(unit))
    return bool(tp) and len(tp & tu) / len(tp) < 0.5


def _lead(ranked: list[ScoredUnit]) -> float:
    """How far the best unit scores above the next that is not the same statement (a passage holding the best
    sentence is no rival of it); 5 with no such unit."""
    rival = next((r for r in ranked[1:] if not near_duplicate(r.unit.text, ranked[0].unit.text)), None)
    return ranked[0].score - rival.score if rival is not None else 5.0


def _unique_units(units) -> list[EvidenceUnit]:
    out, seen = [], set()
    for u in units:
        key = " ".join(u.text.lower().split())
        if key in seen:
            continue
        seen.add(key)
        out.append(u)
    return out


def _without_instructions(hit: Hit) -> Hit:
    """Planted instructions in a passage are never evidence."""
    cleaned = remove_instructions(hit.text)
    if cleaned == hit.text:
        return hit
    return Hit(hit.chunk_id, hit.doc_id, hit.title, cleaned, hit.score, hit.dense_score, hit.keyword_score,
               hit.metadata)


_HOW_IT_WORKS = re.compile(r"^(\s*(?:and\s+)?how (?:do|does)\b.*?)\bworks?\b", re.I)


# a weekday or a month (a holiday's name is a thing the documents may lack: "open on Christmas Day?")
_CALENDAR = re.compile(r"(mon|tues|wednes|thurs|fri|satur|sun)days?|january|february|march|april|may|june|july|"
                       r"august|september|october|november|december", re.I)

def elliptical_parts_carry_the_part_before(parts: list[QuestionPart]) -> None:
    """An elliptical part after another ("Premium 房屋保险的室内财产保额是多少？免赔额呢？": the excess of the Premium home
    policy) asks its subject of what the part before it asked about: that part is its context, whose words count a
    little in its ranking (`_term_weights`), as a follow-up's previous question does across turns. A part that asks
    no kind of value of its own asks the kind the part before asked for ("次日达几点前下单？冷链药品呢？": the cold-chain
    order cut-off is a time, not any sentence about cold-chain medicines)."""
    for before, part in zip(parts, parts[1:]):
        if not part.context and is_followup(part.text):
            part.context = before.text
            if not part.types and before.types:
                part.types, part.answer_type = list(before.types), before.answer_type


def _part_query(part: QuestionPart) -> str:
    """What a part's meaning is matched by: "and how fast is it?" with the question it was cut from."""
    if part.context and REFERS_BACK.search(part.text):
        return f"{part.context} {part.text}"
    return part.text


def _carried_context(part: QuestionPart, earlier: list["PartAnswer"]) -> str:
    """The words of the question a part was cut from that the part still needs: all of them when it refers back
    ("…, and is it available as a metal card?"); else those the earlier parts' evidence did not take up. What an
    earlier part asked and was answered ("When is my payment due and what's the minimum I have to pay?": "due", in
    "The payment is due 25 days after …") would rank that answer's neighbours for this part (the late-payment rule);
    what no evidence took up ("Do you have a business account for my company, and what's the monthly fee?") still
    says what this part is about. A part that names nothing but the kind of answer it wants ("how long is the grace
    period if my payment fails, and is there a fee?": the fee of a failed payment) keeps the case the question
    states (`followup_conditions.condition_clause`: "if my payment fails"), answered or not. (Not kept: such a part
    carrying the whole question: "How long can I spread it over, and do you charge interest?" then stated the
    spreading rule for the interest part, a wrong answer where it had abstained.)"""
    if not part.context or REFERS_BACK.search(part.text):
        return part.context
    answered = {t for p in earlier for e in p.evidence for t in terms(f"{e.unit.text} {e.unit.source_title}")}
    if not answered:
        return part.context
    carried = " ".join(w for w in re.findall(r"[\w'’-]+", part.context) if not set(terms(w)) <= answered)
    case = condition_clause(part.context) if not _own_subject(part.text) else None
    return f"{carried} {case.group(0)}" if case else carried


# the question words terms() keeps (answerability._QUESTION_WORDS is another set: it holds value words too)
_ASKING_WORDS = frozenset("what's whats what how's where's when's who's".split())


def _own_subject(text: str) -> set[str]:
    """The words of a part that say what it is about: its terms without those of the phrases saying what kind of
    answer it wants (`type_phrases`: "fee", "hours", "how long") and without its question words."""
    typed = {t for phrase in type_phrases(text) for t in terms(phrase)}
    return {t for t in terms(text) if t not in typed and t not in _ASKING_WORDS}


def _meaning_queries(parts: list[QuestionPart], statements: str) -> list[str]:
    """What each part's meaning is matched by. The statements around a one-part question say what it is about ("I
    booked a course but can't do it anymore, it hasn't started yet. can I get my money back?"): they join it."""
    queries = [_part_query(p) for p in parts]
    if statements and len(queries) == 1:
        return [f"{statements} {queries[0]}"]
    return queries


def _term_weights(part: str, statements: str, followup: dict | None, context: str = "",
                  story: str = "", known: Callable[[str], bool] = lambda t: True) -> dict[str, float]:
    """How much each word of the question counts: the part's own words fully; the statements around it a little;
    the question a part was cut from ("What is the Gold card's fee, and is it metal?") a little more;
    for a follow-up, its new subject fully and the previous question's words a little. The "work" of "how do
    returns work?" asks for the procedure and is no word to find."""
    part = _HOW_IT_WORKS.sub(r"\1", part)
    weights: dict[str, float] = {}
    for t in terms(statements):
        weights[t] = max(weights.get(t, 0.0), _STATEMENT_WEIGHT)
    for t in terms(context):
        weights[t] = max(weights.get(t, 0.0), _PREVIOUS_WEIGHT)
    if followup and followup.get("continuation"):
        # a question of its own that goes on from the previous one: its words fully, the previous one's a little,
        # and the previous answer's a little less (it goes on about what that answer stated: the 12-month
        # certificate's row holds its early withdrawal penalty too)
        for t in terms(followup.get("evidence") or ""):
            weights[t] = max(weights.get(t, 0.0), _STATEMENT_WEIGHT)
        for t in terms(followup.get("previous") or ""):
            weights[t] = max(weights.get(t, 0.0), _PREVIOUS_WEIGHT)
        for t in terms(part):
            weights[t] = 1.0
        return weights
    if followup:
        for t in followup.get("qualifiers") or []:
            weights[t] = max(weights.get(t, 0.0), _STATEMENT_WEIGHT)
        for t in terms(followup.get("previous") or ""):
            weights[t] = max(weights.get(t, 0.0), _PREVIOUS_WEIGHT)
        replaced = set(terms(followup.get("replaced") or ""))
        for t in replaced:
            weights.pop(t, None)
        for t in terms(followup.get("subject") or ""):
            weights[t] = 1.0
        for t in terms(part):
            weights.setdefault(t, _PREVIOUS_WEIGHT)
        return weights
    story, asked = story_and_question(part) if story else ("", part)
    if story and not REFERS_BACK.search(asked) and any(known(t) for t in terms(asked)):
        # the situation the customer tells before asking ("I'm going travelling, how long can I freeze ...?") says
        # what the question is about, as the statements around it do, but the words to find are the asked ones;
        # a name it gives ("... paid with my Visa card, when ...") still counts fully. A question that refers back
        # to it ("..., can I use it?") or names nothing the documents use ("..., is there a penalty?") asks about
        # the story itself.
        names = set(terms(" ".join(entity_names(story))))
        for t in terms(story):
            weights[t] = 1.0 if t in names else max(weights.get(t, 0.0), _STATEMENT_WEIGHT)
        part = asked
    for t in terms(part):
        weights[t] = 1.0
    return weights


def _states_more_figures(part: QuestionPart, unit: ScoredUnit, stated: list[ScoredUnit]) -> bool:
    """The unit states a figure of the kind the part asks for that the stated units do not: not the same statement
    ("We confirm … within 2 working days. We send you our answer within 15 working days." is no repeat of its first
    sentence, stated for "when will you confirm …?", to "how long until I get an answer?")."""
    kind = asked_value(part.text)
    if kind is None:
        return False
    figures = stated_values(kind, unit.unit.text)
    return bool(figures - set().union(*(stated_values(kind, s.unit.text) for s in stated)))


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


def _add_ms(timings: dict[str, float], key: str, since: float) -> None:
    """A stage that runs once per question part: its milliseconds summed over the parts."""
    timings[key] = round(timings.get(key, 0.0) + _ms(since), 2)
