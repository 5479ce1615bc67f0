"""Fit the evidence-selection model and its abstention threshold on the dev sets (never on the held-out one).

    python -m components.answers.calibration [--out components/answers/selection_model.json]
                                             [--summary assets/eval/answers/calibration_summary.json]
                                             [--sets shop_en shop_zh ...]  (only these dev sets: a business kept
                                                                            out of the fit can judge the model)

Every customer turn of the dev sets in assets/eval/answers/ (each over its own documents, as its README says) goes
through the full pipeline, as `python app.py eval answers` runs it (`dialogue.chat`: routing, follow-ups, multi-part
splitting, curated FAQ rows, the policy), and the composer's answer is recorded with every candidate unit of every
part. A unit is labelled as answering its part when it (with the title the reply cites) contains one of the
expected facts (`reply_contains`, any alternative) and none of the forbidden ones; every unit of a question the
documents do not answer (`abstain: true`) is labelled as not answering.

A listwise ranker (a softmax over each part's candidates) is fitted on these labels, then a logistic model of
P(the units the reply would state answer the part) over the ranking's shape (best score, margin, the best unit's
word and meaning match). Both are cross-validated leave-one-business-out (the shop, the store notes, the credit
union, the gym, the clinic, the school, the airline, the insurer, the energy supplier, the delivery service, the
electronics shop, the hotel, the car rental, the pharmacy, the broker): every confidence the threshold is chosen on was
given by models that never saw that business, as a customer's own documents will be new to it.

The threshold is chosen on what the pipeline would say: each turn the composer answered is replayed at every
threshold (TurnReplay): a part is answered when its cross-validated confidence reaches the threshold, the units it
would state (pick_units) pass the answerability checks (answerability.py) and it names nothing the documents never
mention; the reply is built in the composer's wording and judged by the evaluator's own rules (a multi-part turn is
wrong when any part is, a reply stating a forbidden fact anywhere is wrong). A turn the pipeline did not give to the
composer's decision (the order desk, a curated row, a person asked for, small talk) keeps the pipeline's verdict.
`replay_vs_pipeline` in the summary replays every turn with the pipeline's own scores and threshold and counts the
turns whose verdict matches the pipeline's: the check that the replay is the pipeline.
The threshold is the one with the most questions answered correctly
among those where confidently wrong answers stay rarer than abstentions, at or below MAX_WRONG of all dev questions
and at or below MAX_WRONG_BUSINESS of every single business's questions.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from components.answers.evidence_selection import (CONFIDENCE_FEATURES, FEATURES, MODEL_FILE, SelectionModel,
                                                   feature_vector, pick_units)
from components.nlu.cjk_characters import has_cjk

log = logging.getLogger(__name__)

DEV_SETS = {  # file -> the documents it is asked over (besides the shop's own kb/)
    "shop_en.yaml": [],
    "shop_zh.yaml": [],
    "uploaded.yaml": ["uploaded_docs"],
    "unseen_dev.yaml": ["unseen_dev_docs"],
    "unseen_gym.yaml": ["unseen_gym_docs"],
    "unseen_clinic.yaml": ["unseen_clinic_docs"],
    "unseen_school.yaml": ["unseen_school_docs"],
    "unseen_airline.yaml": ["unseen_airline_docs"],
    "unseen_insurance.yaml": ["unseen_insurance_docs"],
    "unseen_energy.yaml": ["unseen_energy_docs"],
    "unseen_delivery.yaml": ["unseen_delivery_docs"],
    "unseen_electronics.yaml": ["unseen_electronics_docs"],
    "unseen_hotel.yaml": ["unseen_hotel_docs"],
    "unseen_rental.yaml": ["unseen_rental_docs"],
    "unseen_pharmacy.yaml": ["unseen_pharmacy_docs"],
    "unseen_broker.yaml": ["unseen_broker_docs"],
    "unseen_streaming.yaml": ["unseen_streaming_docs"],
    "unseen_cowork.yaml": ["unseen_cowork_docs"],
    "unseen_bikeshare.yaml": ["unseen_bikeshare_docs"],
}
# file -> the business it is about: cross-validation holds out one business at a time, so the threshold is chosen
# on confidences the model gave to a business it was not fitted on (as a customer's own documents will be)
# what the pipeline's query likelihood (query_likelihood.py) recorded for the best units, kept with their rows
LIKELIHOOD = ("upr", "upr_null")
BUSINESS = {"shop_en.yaml": "shop", "shop_zh.yaml": "shop", "uploaded.yaml": "store notes",
            "unseen_dev.yaml": "credit union", "unseen_gym.yaml": "gym", "unseen_clinic.yaml": "clinic",
            "unseen_school.yaml": "school", "unseen_airline.yaml": "airline",
            "unseen_insurance.yaml": "insurer", "unseen_energy.yaml": "energy supplier",
            "unseen_delivery.yaml": "delivery service", "unseen_electronics.yaml": "electronics shop",
            "unseen_hotel.yaml": "hotel", "unseen_rental.yaml": "car rental", "unseen_pharmacy.yaml": "pharmacy",
            "unseen_broker.yaml": "broker", "unseen_streaming.yaml": "streaming service",
            "unseen_cowork.yaml": "coworking operator"}


def _contains(text: str, options) -> bool:
    options = options if isinstance(options, list) else [options]
    lowered = text.lower()
    return any(str(o).lower() in lowered for o in options)


def forbidden(text: str, expect: dict) -> bool:
    return any(str(n).lower() in text.lower() for n in expect.get("reply_not_contains") or [])


def part_expectation(expect: dict, index: int, count: int) -> dict:
    """What part `index` of `count` must state: its own entry of `parts` when the question was split as listed, else
    any of the parts' facts (a unit stating one of them answers); the forbidden facts always hold."""
    parts = expect.get("parts")
    if not parts:
        return expect
    base = {"reply_not_contains": expect.get("reply_not_contains") or []}
    if len(parts) == count:
        own = parts[index]
        return {**own, "reply_not_contains": base["reply_not_contains"] + list(own.get("reply_not_contains") or [])}
    facts = [item for p in parts for item in p.get("reply_contains") or []]
    return {**base, "reply_contains": facts} if facts else {**base, "abstain": True}


def label_unit(text: str, expect: dict) -> int:
    if expect.get("abstain"):
        return 0
    if any(str(n).lower() in text.lower() for n in expect.get("reply_not_contains") or []):
        return 0
    return int(any(_contains(text, item) for item in expect.get("reply_contains") or []))


# policy actions whose outcome follows from the composed answer (answered, or declined because no part was): the
# calibration replays these at every threshold; any other action (the order desk, a person asked for, small talk,
# a safety rule) is the same whatever the threshold, and its verdict is fixed
REPLAYED_ACTIONS = ("knowledge_answer", "clarify", "decline_out_of_scope")


def _replayable(action: str | None, reason: str, answer) -> bool:
    if answer is None or answer.mode == "curated":
        return False
    return action in REPLAYED_ACTIONS or (action == "handoff" and reason.startswith("nothing relevant found"))


def collect(settings, folder: Path, sets: dict | None = None) -> dict:
    """Every dev turn through the full pipeline (`dialogue.chat`, as `python app.py eval answers` runs it: routing,
    follow-ups, multi-part splitting, curated rows, the policy). Returns {"rows": one per (turn, part, candidate
    unit) of the turns the composer answered, "turns": one per customer turn}: what was asked, the pipeline's own
    verdict, and whether the turn is replayed at other thresholds or its outcome is fixed."""
    from components.answers.answerability import asked_value, focus_items, subject_terms
    from components.answers.composer import focus_row
    from components.answers.eval import ingest_documents, judge_parts, judge_turn, turn_result
    from components.dialogue.dialogue_eval import load_scenarios
    from components.services import build_services

    rows: list[dict] = []
    turns: dict[str, dict] = {}
    by_docs: dict[tuple, list[str]] = {}
    for name, docs in (sets or DEV_SETS).items():
        by_docs.setdefault(tuple(docs), []).append(name)
    for docs, names in by_docs.items():
        with tempfile.TemporaryDirectory(prefix="kefu-calibrate-") as tmp:
            services = build_services(dataclasses.replace(settings, data_dir=Path(tmp),
                                                          cache_dir_override=settings.cache_dir))
            try:
                status = services.warm_up()
                if not status.ready:
                    raise RuntimeError(f"could not start the pipeline: {status.error}")
                ingest_documents(services.knowledge, [folder / d for d in docs])
                dialogue = services.dialogue
                composer = dialogue.answers
                composer.keep_candidates = 400
                composed: list = []
                original = composer.compose

                def recording(*args, _original=original, _composed=composed, **kwargs):
                    answer = _original(*args, **kwargs)
                    _composed.append(answer)
                    return answer

                composer.compose = recording
                try:
                    for name in names:
                        for s_index, scenario in enumerate(load_scenarios(folder / name)):
                            cid = None
                            for t_index, turn in enumerate(scenario["turns"]):
                                expect = turn.get("expect") or {}
                                composed.clear()
                                result = dialogue.chat(cid, turn["user"])
                                cid = result.conversation_id or cid
                                got = turn_result(result)
                                verdict = (judge_parts(expect, got)[0] if expect.get("parts")
                                           else judge_turn(expect, got)[0])
                                answer = composed[-1] if composed else None
                                policy = (result.trace or {}).get("policy") or {}
                                group = f"{name}:{s_index}:{t_index}"
                                replay = _replayable(policy.get("action"), policy.get("reason") or "", answer)
                                turns[group] = {
                                    "group": group, "set": name, "question": turn["user"], "expect": expect,
                                    "pipeline_verdict": verdict, "action": policy.get("action"),
                                    "mode": got.get("mode"), "replay": replay,
                                    "language": answer.language if answer is not None else None,
                                    "parts": [pipeline_part(p) for p in answer.parts] if replay else [],
                                    "model": {"threshold": composer.min_score,
                                              "margin": composer.selector.model.margin,
                                              "max_units": composer.selector.model.max_units}}
                                if not replay:
                                    continue
                                base = {"group": group, "set": name, "question": turn["user"]}
                                for p_index, part in enumerate(answer.parts):
                                    part_expect = part_expectation(expect, p_index, len(answer.parts))
                                    # what the answerability checks read of the part (answerability.py)
                                    asked = {"question_part": part.part.text, "types": part.part.types,
                                             "gloss": part.part.gloss,
                                             "carried": sorted(subject_terms(answer.parts[p_index - 1].part.text))
                                             if p_index else [],
                                             "known": sorted(t for t in subject_terms(part.part.text)
                                                             if composer.statistics.df(t) > 0)}
                                    for c in part.candidates:
                                        # what the reply would state: a table row narrowed to the asked column (a
                                        # list to the items about the name asked), and the title it cites (a fact
                                        # in the title is stated too)
                                        text = focus_items(focus_row(c, part.part.asked_text,
                                                                     asked_value(part.part.asked_text)),
                                                           part.part.asked_text).unit.text
                                        said = f"{c.unit.source_title} {text}"
                                        rows.append({**base, **asked, "part": p_index, "text": text,
                                                     "abstain": bool(part_expect.get("abstain")),
                                                     "title": c.unit.source_title, "doc": c.unit.doc_id,
                                                     "kind": c.unit.kind, "context": c.unit.context,
                                                     "language": c.unit.language,
                                                     "forbidden": forbidden(said, part_expect),
                                                     "features": [float(c.parts.get(f, 0.0)) for f in FEATURES],
                                                     **{k: float(c.parts[k]) for k in LIKELIHOOD if k in c.parts},
                                                     "score": float(c.score),
                                                     "label": label_unit(said, part_expect)})
                finally:
                    composer.compose = original
            finally:
                services.close()
    return {"rows": rows, "turns": list(turns.values())}


def pipeline_part(p) -> dict:
    """What the composer decided for one part (a PartAnswer): its confidence, the names the documents never
    mention, and what it stated and why (its reason when unanswered; its evidence taken from another part
    (sibling_evidence) or from the previous answer (followup_evidence); stated once, for an earlier part)."""
    return {"text": p.part.text, "unmentioned": list(p.unmentioned), "confidence": float(p.confidence),
            "stated": [(e.unit.source_title or "", e.unit.text, e.unit.context or "") for e in p.evidence],
            "reason": p.unanswered, "from_part": p.from_part, "from_previous": bool(p.from_previous),
            "same_as_earlier": bool((p.curated or {}).get("same_as_earlier_part"))}


MAX_WRONG = 0.03           # the share of confidently wrong answers the threshold may allow over all dev questions ...
MAX_WRONG_BUSINESS = 0.06  # ... and on any one business, scored by models fitted without that business


THRESHOLDS = tuple(round(float(t), 2) for t in np.arange(0.05, 0.96, 0.01))


def _verdict(outcome, t: float) -> str:
    """A question's verdict at threshold `t`: a replayed turn (TurnReplay) says it itself; a tuple (confidence, its
    best evidence answers it, it expects an abstention[, business]) is answered above its confidence."""
    if isinstance(outcome, TurnReplay):
        return outcome.verdict(t)
    p, right, should_abstain = outcome[:3]
    if p < t:
        return "correct" if should_abstain else "abstained"
    return "correct" if right and not should_abstain else "wrong"


def _business(outcome) -> str:
    if isinstance(outcome, TurnReplay):
        return outcome.business
    return outcome[3] if len(outcome) > 3 else "all"


def _count(outcomes, t: float) -> dict:
    counts = {"correct": 0, "wrong": 0, "abstained": 0}
    for o in outcomes:
        counts[_verdict(o, t)] += 1
    return {**counts, "total": len(outcomes)}


def choose_threshold(outcomes: list, max_wrong: float = MAX_WRONG,
                     max_wrong_business: float = MAX_WRONG_BUSINESS) -> tuple[float, dict]:
    """Per question, either a TurnReplay (its verdict at every threshold, replayed as the pipeline would answer) or
    (confidence, its best evidence answers it, it expects an abstention[, its business]): the threshold with the most
    correct answers among those where wrong answers stay rarer than abstentions, at or below `max_wrong` of all
    questions and at or below ceil(`max_wrong_business` x its questions) on every business (not counting a
    business's turns that are wrong at every threshold, `TurnReplay.fixed`). When none qualifies: the one with the
    fewest wrong answers on the worst business."""
    by_business: dict[str, list] = {}
    for o in outcomes:
        by_business.setdefault(_business(o), []).append(o)
    fixed_wrong = {b: sum(getattr(o, "fixed", None) == "wrong" for o in v) for b, v in by_business.items()}
    best_t, best_stats, fallback = 0.95, None, None
    for t in THRESHOLDS:
        stats = {"threshold": t, **_count(outcomes, t)}
        per = {b: _count(v, t) for b, v in by_business.items()}
        worst = max(v["wrong"] / max(1, v["total"]) for v in per.values())
        # a small set cannot show a small rate: each business may have ceil(rate x its questions) wrong, besides the
        # wrong turns no threshold changes (the order desk took the turn): they count against the overall limit, but
        # a business's allowance is for what the threshold decides
        within = all(v["wrong"] - fixed_wrong[b] <= math.ceil(max_wrong_business * v["total"])
                     for b, v in per.items())
        stats["worst_business_wrong_rate"] = round(worst, 4)
        if len(per) > 1:
            stats["by_business"] = per
        if fallback is None or worst < fallback[1]["worst_business_wrong_rate"]:
            fallback = (t, stats)
        if stats["wrong"] < max(stats["abstained"], 1) and stats["wrong"] <= max_wrong * len(outcomes) and within:
            if best_stats is None or stats["correct"] > best_stats["correct"]:
                best_t, best_stats = t, stats
    if best_stats is None:
        best_t, best_stats = fallback
        best_stats = {**best_stats, "note": f"no threshold kept wrong answers under {max_wrong:.0%} overall and "
                                            f"{max_wrong_business:.0%} per business"}
    return round(best_t, 2), best_stats


@dataclasses.dataclass
class TurnReplay:
    """One customer turn as the pipeline would answer it at any threshold: a turn the composer answers is replayed
    from its parts (each answered when its confidence reaches the threshold and the answerability checks pass, the
    reply built as the composer builds it and judged by the evaluator's own rules); any other turn keeps the
    pipeline's verdict."""
    group: str
    business: str
    expect: dict
    fixed: str | None = None                       # the pipeline's verdict, when no threshold changes it
    parts: list[dict] = dataclasses.field(default_factory=list)   # text, unmentioned, conf, unanswered, said
    language: str = "en"
    _cache: dict = dataclasses.field(default_factory=dict)

    def answered(self, t: float) -> frozenset:
        """The parts answered by their own units at threshold `t`."""
        return frozenset(i for i, p in enumerate(self.parts) if p.get("said") and p["conf"] >= t
                         and not p.get("unanswered") and not p.get("unmentioned"))

    def stated(self, t: float) -> tuple:
        """Per part, the units the reply states at threshold `t` (None: not answered). A part answered by its own
        units states them; where the pipeline ran its later steps on the very same best unit (`pipeline`: the
        composer's decisions, see `pipeline_part`), what they left: the evidence it stated, or nothing and its
        reason (the checks of asked_subjects.py, the follow-up checks, number_conditions.py). A part not answered
        by its own units takes what the pipeline gave it from another part (sibling_evidence.py) when that part is
        answered at `t`, or from the previous answer (followup_evidence.py)."""
        own = self.answered(t)
        out: list = []
        for i, p in enumerate(self.parts):
            ran = p.get("pipeline") or {}
            said = tuple(p["said"]) if i in own else None
            if said is not None and ran.get("checked") and p.get("same_top") and not ran.get("same_as_earlier"):
                said = tuple(ran["stated"]) if ran.get("stated") else None
            if said is None and not p.get("unmentioned"):
                source = (ran.get("from_part") or 0) - 1
                if source >= 0 and (source in own or (source < i and out[source] is not None)):
                    said = tuple(ran.get("stated") or ()) or (out[source] if source < i else tuple(
                        self.parts[source]["said"]))
                elif ran.get("from_previous") and ran.get("stated"):
                    said = tuple(ran["stated"])
            out.append(said)
        return tuple(out)

    def verdict(self, t: float) -> str:
        if self.fixed is not None:
            return self.fixed
        key = self.stated(t)
        if key not in self._cache:
            self._cache[key] = self.judge(key)
        return self._cache[key]

    def reply(self, t: float) -> dict:
        stated = self.stated(t)
        return replayed_reply([{**p, "said": list(s or ())} for p, s in zip(self.parts, stated)],
                              frozenset(i for i, s in enumerate(stated) if s), self.language)

    def judge(self, stated: tuple) -> str:
        from components.answers.eval import judge_parts, judge_turn

        got = replayed_reply([{**p, "said": list(s or ())} for p, s in zip(self.parts, stated)],
                             frozenset(i for i, s in enumerate(stated) if s), self.language)
        return judge_parts(self.expect, got)[0] if self.expect.get("parts") else judge_turn(self.expect, got)[0]


def replayed_reply(parts: list[dict], answered: frozenset, language: str) -> dict:
    """What the evaluator reads of the composer's reply when the parts in `answered` are answered by their `said`
    units [(title, text, faq question)], the others said to be unknown (composer.evidence_reply's wording)."""
    from components.answers.composer import _unmentioned_sentence, say, stated_reply
    from components.answers.evidence_selection import near_duplicate

    views, stated = [], []
    for i, p in enumerate(parts):
        if i not in answered:
            views.append({"answered": False, "evidence": []})
            continue
        said = [u for u in p["said"] if not any(near_duplicate(u[1], s) for s in stated)]
        if not said and stated:  # already stated for an earlier part
            views.append({"answered": False, "evidence": [], "curated": {"same_as_earlier_part": True}})
            continue
        said = said or p["said"]
        stated += [u[1] for u in said]
        views.append({"answered": True, "evidence": [{"source": u[0], "text": u[1], "context": u[2]} for u in said]})
    unmentioned = [n for p in parts for n in p.get("unmentioned") or []]
    if not answered:
        reply = say("abstain", language)
        if unmentioned:
            reply = f"{_unmentioned_sentence(unmentioned, language)} {reply}"
        return {"reply": reply, "abstained": True, "mode": "abstain", "answer": {"parts": views}}

    reply = stated_reply([{"part": p["text"], "answered": v["answered"],
                           "evidence": [(e["source"], e["text"]) for e in v["evidence"]],
                           "same_as_earlier": bool((v.get("curated") or {}).get("same_as_earlier_part")),
                           "unmentioned": p.get("unmentioned") or []} for p, v in zip(parts, views)], language)
    return {"reply": reply, "abstained": False, "mode": "evidence", "answer": {"parts": views}}


def _ranker_matrix(rows: list[dict]) -> tuple[np.ndarray, list[str]]:
    vectors = [feature_vector(dict(zip(FEATURES, r["features"]))) for r in rows]
    names = list(vectors[0]) if vectors else list(FEATURES)
    return np.array([[v[k] for k in names] for v in vectors]), names


def fit_ranker(x: np.ndarray, y: np.ndarray, groups: list[np.ndarray], l2: float = 0.5) -> np.ndarray:
    """Listwise: the softmax over a part's candidates should put its mass on the units that answer it."""
    from scipy.optimize import minimize

    useful = [g for g in groups if y[g].sum() > 0]

    def loss(w):
        total, grad = 0.0, np.zeros_like(w)
        for g in useful:
            s = x[g] @ w
            e = np.exp(s - s.max())
            p = e / e.sum()
            pos = y[g] > 0
            ep = e[pos]
            total -= np.log(ep.sum() / e.sum())
            grad -= (x[g][pos] * (ep / ep.sum())[:, None]).sum(0) - (x[g] * p[:, None]).sum(0)
        return total + l2 * w @ w, grad + 2 * l2 * w

    return minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x


def _part_rows(rows, scores, margin: float, max_units: int) -> list[dict]:
    """Per part: the confidence features of its candidates ranked by `scores`, and whether the units the reply
    would state (pick_units) answer it without a forbidden fact."""
    from components.answers.evidence_selection import ScoredUnit

    shell = SelectionModel({}, 0.0, {})
    parts: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        parts.setdefault((r["group"], r["part"]), []).append(i)
    out = []
    for (group, _), idx in parts.items():
        ranked = sorted(idx, key=lambda i: scores[i], reverse=True)
        picked = pick_units(ranked, margin, max_units, text=lambda i: rows[i]["text"], score=lambda i: scores[i],
                            parts=lambda i: _row_parts(rows[i]), asked_types=rows[idx[0]].get("types") or ())
        scored = [ScoredUnit(_Said(rows[i]["text"], rows[i].get("title"), rows[i].get("doc"),
                                   language_=rows[i].get("language"), context=rows[i].get("context")),
                             float(scores[i]), _row_parts(rows[i])) for i in ranked]
        abstain = rows[idx[0]]["abstain"]
        right = (not abstain and any(rows[i]["label"] for i in picked)
                 and not any(rows[i].get("forbidden") for i in picked))
        # the unit the pipeline's own scores put first: where it is this ranking's best too, the pipeline's later
        # steps (TurnReplay.stated) decided on this very pick
        pipeline_top = max(idx, key=lambda i: rows[i].get("score", 0.0))
        out.append({"group": group, "part": rows[idx[0]]["part"], "x": shell.part_features(scored),
                    "same_top": rows[pipeline_top]["text"] == rows[ranked[0]]["text"],
                    "abstain": abstain, "right": right, "unanswered": _unanswered(rows, picked, ranked),
                    "said": [(rows[i].get("title") or "", rows[i]["text"], rows[i].get("context") or "")
                             for i in picked]})
    return out


def _row_parts(row: dict) -> dict:
    """A row's features as the unit's `parts`, with its query likelihood when the pipeline scored it."""
    return {**dict(zip(FEATURES, row["features"])), **{k: row[k] for k in LIKELIHOOD if row.get(k) is not None}}


def _unit_of(row: dict):
    from components.answers.evidence_selection import ScoredUnit
    from components.answers.evidence_units import EvidenceUnit

    unit = EvidenceUnit(row["text"], row.get("context") or "", row.get("kind") or "sentence", row.get("title") or "",
                        row.get("doc") or "", "", 0.0, "en", 0)
    return ScoredUnit(unit, 0.0, {})


def _unanswered(rows: list[dict], picked: list[int], ranked: list[int]) -> str | None:
    """What the composer's answerability checks say of the units a reply would state (rows collected before they
    were recorded are not checked)."""
    from components.answers.answerability import unanswered
    from components.answers.question_analysis import QuestionPart

    first = rows[picked[0]] if picked else None
    if first is None or "question_part" not in first:
        return None
    part = QuestionPart(first["question_part"], (first["types"] or ["general"])[0], list(first["types"]),
                        gloss=first.get("gloss") or "")
    known = set(first.get("known") or [])
    return unanswered(part, [_unit_of(rows[i]) for i in picked], [_unit_of(rows[i]) for i in ranked[:400]],
                      set(first.get("carried") or []), known=lambda t: t in known)


@dataclasses.dataclass
class _Said:
    """What part_features reads of a unit when refitting from collected rows."""
    text: str
    source_title: str | None = None
    doc_id: str | None = None
    chunk_id: str | None = None

    language_: str | None = None
    context: str | None = None

    @property
    def language(self) -> str:
        return self.language_ or ("zh" if has_cjk(self.text) else "en")


def confidence_features(rows: list[dict]) -> tuple[str, ...]:
    """What the confidence reads: the query likelihood's features only when the pipeline recorded it for some rows
    (collected with KEFU_ANSWER_QUERY_LIKELIHOOD=1), so a refit without it is the model it was before."""
    if any(r.get("upr") is not None for r in rows):
        return CONFIDENCE_FEATURES
    return tuple(f for f in CONFIDENCE_FEATURES if not f.startswith("upr_"))


def _confidence_cv(part_rows, fold_of, folds: int, c: float,
                   names: tuple[str, ...] = CONFIDENCE_FEATURES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    px = np.array([[p["x"][k] for k in names] for p in part_rows])
    py = np.array([int(p["right"]) for p in part_rows])
    pc = np.zeros(len(part_rows))
    for k in range(folds):
        train = [i for i, p in enumerate(part_rows) if fold_of[p["group"]] != k]
        test = [i for i, p in enumerate(part_rows) if fold_of[p["group"]] == k]
        pc[test] = LogisticRegression(C=c, max_iter=2000).fit(px[train], py[train]).predict_proba(px[test])[:, 1]
    return px, py, pc


def business_of(group: str) -> str:
    name = group.split(":", 1)[0]
    return BUSINESS.get(name, name)


def _as_data(data) -> dict:
    """Rows collected before turns were recorded (a plain list) are replayed as before: by their best part."""
    return data if isinstance(data, dict) else {"rows": data, "turns": []}


def replays(turns: list[dict], part_rows: list[dict], confidences) -> list[TurnReplay]:
    """Every turn as the pipeline would answer it: the composer's turns from their parts' confidences and picks, and
    what the pipeline decided for each part after its pick (`pipeline_part`; turns collected before it was recorded
    are replayed from the picks alone)."""
    by_part = {(p["group"], p["part"]): (p, float(c)) for p, c in zip(part_rows, confidences)}
    out = []
    for turn in turns:
        threshold = (turn.get("model") or {}).get("threshold", 1.0)
        replay = TurnReplay(turn["group"], business_of(turn["group"]), turn["expect"],
                            language=turn.get("language") or "en")
        if not turn["replay"]:
            replay.fixed = turn["pipeline_verdict"]
        for i, p in enumerate(turn["parts"]):
            row, conf = by_part.get((turn["group"], i), (None, 0.0))
            ran = {"checked": p["confidence"] >= threshold, "stated": [tuple(u) for u in p["stated"]],
                   **{k: p.get(k) for k in ("reason", "from_part", "from_previous", "same_as_earlier")}} \
                if "stated" in p else {}
            replay.parts.append({"text": p["text"], "unmentioned": p.get("unmentioned") or [], "conf": conf,
                                 "unanswered": row["unanswered"] if row else None,
                                 "said": row["said"] if row else [], "pipeline": ran,
                                 "same_top": bool(row and row.get("same_top"))})
        out.append(replay)
    return out


def pipeline_agreement(data: dict) -> dict:
    """Replayed with the scores and confidences the pipeline itself gave (the model it ran with), at its threshold:
    how many turns get the pipeline's own verdict. The check that the replay the threshold is chosen on is what the
    pipeline says."""
    rows, turns = data["rows"], data["turns"]
    if not turns or not rows:
        return {}
    ran = turns[0].get("model") or {}
    part_rows = _part_rows(rows, np.array([r.get("score", 0.0) for r in rows]), ran.get("margin", 2.0),
                           ran.get("max_units", 2))
    confidence = {(t["group"], i): p["confidence"] for t in turns for i, p in enumerate(t["parts"])}
    replayed = replays(turns, part_rows, [confidence.get((p["group"], p["part"]), 0.0) for p in part_rows])
    threshold = ran.get("threshold", 0.5)
    differ = [{"turn": t["group"], "question": t["question"], "pipeline": t["pipeline_verdict"],
               "replay": r.verdict(threshold)} for t, r in zip(turns, replayed)
              if r.verdict(threshold) != t["pipeline_verdict"]]
    return {"threshold": threshold, "turns": len(turns), "agree": len(turns) - len(differ),
            "pipeline": {v: sum(t["pipeline_verdict"] == v for t in turns) for v in ("correct", "abstained", "wrong")},
            "replay": _count(replayed, threshold), "differ": differ}


def fit(data, *, c: float = 1.0, l2: float = 0.5, margins=(0.0, 1.0, 2.0, 3.0), max_units=(1, 2, 3),
        max_wrong: float = MAX_WRONG, max_wrong_business: float = MAX_WRONG_BUSINESS) -> SelectionModel:
    """Ranker and confidence cross-validated leave-one-business-out; the threshold chosen on those confidences,
    every turn replayed as the pipeline would answer it (or, for rows without turns, by its best part)."""
    from sklearn.linear_model import LogisticRegression

    data = _as_data(data)
    rows, turns = data["rows"], data["turns"]
    usable = [r for r in rows if r["features"] is not None]
    fixed = [(1.0 if r.get("curated") else 0.0, bool(r.get("curated") and r["label"] and not r.get("forbidden")),
              r["abstain"], business_of(r["group"])) for r in rows if r["features"] is None]
    x, ranker_names = _ranker_matrix(usable)
    names = confidence_features(usable)
    y = np.array([r["label"] for r in usable], dtype=float)
    groups = [r["group"] for r in rows] + [t["group"] for t in turns]
    businesses = sorted({business_of(g) for g in groups})
    fold_of = {g: businesses.index(business_of(g)) for g in groups}
    folds = len(businesses)
    part_index: dict[tuple, list[int]] = {}
    for i, r in enumerate(usable):
        part_index.setdefault((r["group"], r["part"]), []).append(i)
    cv_scores = np.zeros(len(usable))
    for k in range(folds):
        train = [np.array(v) for key, v in part_index.items() if fold_of[key[0]] != k]
        w = fit_ranker(x, y, train, l2)
        test = [i for key, v in part_index.items() if fold_of[key[0]] == k for i in v]
        cv_scores[test] = x[test] @ w
    ranking = _ranking_quality(part_index, cv_scores, y)
    best = None
    trials = []
    for margin in margins:
        for units in max_units:
            part_rows = _part_rows(usable, cv_scores, margin, units)
            px, py, pc = _confidence_cv(part_rows, fold_of, folds, c, names)
            outcomes = replays(turns, part_rows, pc) if turns else _turn_outcomes(part_rows, pc) + fixed
            threshold, stats = choose_threshold(outcomes, max_wrong, max_wrong_business)
            trials.append({"margin": margin, "max_units": units,
                           **{k: v for k, v in stats.items() if k != "by_business"}})
            key = ("note" not in stats, stats.get("correct", -1), -stats.get("worst_business_wrong_rate", 1))
            if best is None or key > best[0]:
                best = (key, stats, margin, units, threshold, px, py, outcomes)
    _, cv_stats, margin, units, threshold, px, py, outcomes = best
    ranker = fit_ranker(x, y, [np.array(v) for v in part_index.values()], l2)
    confidence = LogisticRegression(C=c, max_iter=2000).fit(px, py)
    meta = {"fitted_on": sorted({r["set"] for r in rows}), "pairs": int(len(usable)), "positives": int(y.sum()),
            "questions": len({g for g in groups}), "parts": len(part_index),
            "cross_validation": "leave one business out: " + ", ".join(businesses),
            "replayed": "every turn through the full pipeline (routing, follow-ups, curated rows and the policy as "
                        "`eval answers` runs them); the composer's turns replayed at each threshold"
                        if turns else "each question by its best part",
            "ranking_cv": ranking, "cv_at_threshold": cv_stats, "trials": trials, "C": c, "l2": l2,
            "max_wrong": max_wrong, "max_wrong_business": max_wrong_business, "date": time.strftime("%Y-%m-%d")}
    # the cross-validated trade-off around the choice: (threshold, correct, wrong) every 0.02
    meta["cv_curve"] = [[t, *(_count(outcomes, t)[k] for k in ("correct", "wrong"))] for t in THRESHOLDS
                        if 0.7 <= t <= 0.92 and round(t * 100) % 2 == 0]
    if turns:
        meta["cv_wrong_at_threshold"] = [
            {"turn": t["group"], "question": t["question"],
             "said": (f"(fixed: {t['action']})" if o.fixed else
                      o.reply(threshold)["reply"][:400]),
             "confidence": [round(p["conf"], 3) for p in o.parts]}
            for t, o in zip(turns, outcomes) if o.verdict(threshold) == "wrong"]
    return SelectionModel({n: round(float(w), 4) for n, w in zip(ranker_names, ranker)},
                          round(float(confidence.intercept_[0]), 4),
                          {n: round(float(w), 4) for n, w in zip(names, confidence.coef_[0])},
                          threshold, margin, units, meta)


def _ranking_quality(part_index: dict, scores: np.ndarray, y: np.ndarray) -> dict:
    """Of the parts with an answering unit among the candidates: how often the best (best three) ranked holds it."""
    top1 = top3 = n = 0
    for idx in part_index.values():
        if y[idx].sum() > 0:
            ranked = sorted(idx, key=lambda i: -scores[i])
            n += 1
            top1 += bool(y[ranked[0]] > 0)
            top3 += bool(y[ranked[:3]].sum() > 0)
    return {"parts_with_answer": n, "top1": top1, "top3": top3}


def _turn_outcomes(part_rows: list[dict], confidences: np.ndarray) -> list[tuple[float, bool, bool]]:
    """Per question: its most confident part decides whether it is answered, and whether that answer is right."""
    best: dict[str, tuple[float, bool, bool]] = {}
    for p, conf in zip(part_rows, confidences):
        if p.get("unanswered"):
            conf = 0.0  # confident, but its evidence does not state what was asked: the composer says so
        current = best.get(p["group"])
        if current is None or conf > current[0]:
            best[p["group"]] = (float(conf), p["right"], p["abstain"], business_of(p["group"]))
    return list(best.values())


def chosen_sets(names: list[str] | None) -> dict | None:
    """The DEV_SETS entries named (with or without .yaml); None (all of them) when no names are given."""
    if not names:
        return None
    files = [n if n.endswith(".yaml") else n + ".yaml" for n in names]
    unknown = [f for f in files if f not in DEV_SETS]
    if unknown:
        raise ValueError(f"not a dev set: {', '.join(unknown)} (known: {', '.join(DEV_SETS)})")
    return {f: DEV_SETS[f] for f in files}


def main(argv: list[str] | None = None) -> int:
    from components.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", default="assets/eval/answers", help="the dev sets and their documents")
    parser.add_argument("--out", default=str(MODEL_FILE))
    parser.add_argument("--rows", default=None, help="reuse (or save) the collected rows in this JSON file")
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--max-wrong", type=float, default=MAX_WRONG, help="wrong answers allowed over all questions")
    parser.add_argument("--max-wrong-business", type=float, default=MAX_WRONG_BUSINESS,
                        help="wrong answers allowed on any one business (cross-validated without it)")
    parser.add_argument("--summary", default=None, help="also write the cross-validation summary to this JSON file")
    parser.add_argument("--sets", nargs="+", default=None, metavar="SET",
                        help="collect only these dev sets (e.g. shop_en unseen_gym; default: all of DEV_SETS), "
                             "so a business can be kept out of the fit to judge the model on it afterwards")
    args = parser.parse_args(argv)
    sets = chosen_sets(args.sets)
    logging.basicConfig(level=logging.WARNING)
    rows_path = Path(args.rows) if args.rows else None
    if rows_path and rows_path.is_file():
        data = _as_data(json.loads(rows_path.read_text()))
    else:
        data = collect(Settings.from_env(), Path(args.folder), sets)
        if rows_path:
            rows_path.write_text(json.dumps(data))
    model = fit(data, c=args.c, max_wrong=args.max_wrong, max_wrong_business=args.max_wrong_business)
    agreement = pipeline_agreement(data)
    if agreement:
        model.meta["replay_vs_pipeline"] = agreement
    Path(args.out).write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
    summary = {"threshold": model.threshold, "margin": model.margin, "max_units": model.max_units,
               **{k: v for k, v in model.meta.items() if k != "trials"}}
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
