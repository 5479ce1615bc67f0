"""Fit the evidence-selection model and its abstention threshold on the dev sets (never on the held-out one).

    python -m components.answers.calibration [--out components/answers/selection_model.json]
                                             [--summary assets/eval/answers/calibration_summary.json]

For every customer turn of the dev sets in assets/eval/answers/ (each over its own documents, as its README says),
the composer ranks every candidate unit; a unit is labelled as answering when it (with the title the reply cites)
contains one of the expected facts (`reply_contains`, any alternative) and none of the forbidden ones; every unit of
a question the documents do not answer (`abstain: true`) is labelled as not answering. A turn a curated FAQ row
answers is a fixed outcome (right or wrong whatever the model says) and is not fitted on.

A listwise ranker (a softmax over each part's candidates) is fitted on these labels, then a logistic model of
P(the units the reply would state answer the part) over the ranking's shape (best score, margin, the best unit's
word and meaning match). Both are cross-validated leave-one-business-out (the shop, the store notes, the credit
union, the gym): every confidence the threshold is chosen on was given by models that never saw that business, as
a customer's own documents will be new to it. A part whose stated units the composer's answerability checks turn
down (answerability.py: a value about something else, no value, no list, an echo, the wrong section) is declined
whatever its confidence, as the composer does, so the threshold is chosen on what the bot would actually say.
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
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from components.answers.evidence_selection import (CONFIDENCE_FEATURES, FEATURES, MODEL_FILE, SelectionModel,
                                                   feature_vector, pick_units)

log = logging.getLogger(__name__)

DEV_SETS = {  # file -> the documents it is asked over (besides the shop's own kb/)
    "shop_en.yaml": [],
    "shop_zh.yaml": [],
    "uploaded.yaml": ["uploaded_docs"],
    "unseen_dev.yaml": ["unseen_dev_docs"],
    "unseen_gym.yaml": ["unseen_gym_docs"],
}
# file -> the business it is about: cross-validation holds out one business at a time, so the threshold is chosen
# on confidences the model gave to a business it was not fitted on (as a customer's own documents will be)
BUSINESS = {"shop_en.yaml": "shop", "shop_zh.yaml": "shop", "uploaded.yaml": "store notes",
            "unseen_dev.yaml": "credit union", "unseen_gym.yaml": "gym"}


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


def collect(settings, folder: Path, sets: dict | None = None) -> list[dict]:
    """One row per (turn, part, candidate unit): {group, features, label, set}."""
    from components.answers.answerability import focus_items, subject_terms
    from components.answers.composer import AnswerComposer, focus_row
    from components.answers.eval import ingest_documents
    from components.dialogue.dialogue_eval import load_scenarios
    from components.services import build_services

    rows: list[dict] = []
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
                composer = AnswerComposer(services.knowledge, services.embedder.embed, keep_candidates=400)
                for name in names:
                    for s_index, scenario in enumerate(load_scenarios(folder / name)):
                        previous = None
                        for t_index, turn in enumerate(scenario["turns"]):
                            expect = turn.get("expect") or {}
                            language = "zh" if any("\u4e00" <= c <= "\u9fff" for c in turn["user"]) else "en"
                            answer = composer.compose(turn["user"], language, previous)
                            previous = {"question": answer.question, "subject_terms": answer.subject_terms}
                            group = f"{name}:{s_index}:{t_index}"
                            base = {"group": group, "set": name, "abstain": bool(expect.get("abstain")),
                                    "question": turn["user"]}
                            if answer.mode == "curated":
                                # a curated FAQ row answers whatever the selection model says: fixed outcome
                                said = f"{answer.parts[0].evidence[0].unit.source_title} {answer.evidence_texts[0]}"
                                rows.append({**base, "part": 0, "features": None, "curated": True, "text": said,
                                             "forbidden": forbidden(said, expect), "label": label_unit(said, expect)})
                                continue
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
                                    # what the reply would state: a table row narrowed to the asked column (a list
                                    # to the items about the name asked), and the title it cites (a fact in the
                                    # title is stated too)
                                    text = focus_items(focus_row(c, part.part.asked_text), part.part.asked_text).unit.text
                                    said = f"{c.unit.source_title} {text}"
                                    rows.append({**base, **asked, "part": p_index, "text": text,
                                                 "abstain": bool(part_expect.get("abstain")),
                                                 "title": c.unit.source_title, "doc": c.unit.doc_id,
                                                 "kind": c.unit.kind, "context": c.unit.context,
                                                 "forbidden": forbidden(said, part_expect),
                                                 "features": [float(c.parts.get(f, 0.0)) for f in FEATURES],
                                                 "label": label_unit(said, part_expect)})
                            if not answer.parts or not any(p.candidates for p in answer.parts):
                                rows.append({**base, "part": 0, "features": None, "label": 0})
            finally:
                services.close()
    return rows


MAX_WRONG = 0.03           # the share of confidently wrong answers the threshold may allow over all dev questions ...
MAX_WRONG_BUSINESS = 0.06  # ... and on any one business, scored by models fitted without that business


def _count(outcomes, t: float) -> dict:
    correct = wrong = abstained = 0
    for p, right, should_abstain in outcomes:
        if p < t:
            correct += should_abstain
            abstained += not should_abstain
        elif right and not should_abstain:
            correct += 1
        else:
            wrong += 1
    return {"correct": correct, "wrong": wrong, "abstained": abstained, "total": len(outcomes)}


def choose_threshold(outcomes: list[tuple], max_wrong: float = MAX_WRONG,
                     max_wrong_business: float = MAX_WRONG_BUSINESS) -> tuple[float, dict]:
    """Per question (confidence, its best evidence answers it, it expects an abstention[, its business]): the
    threshold with the most correct answers among those where wrong answers stay rarer than abstentions, at or
    below `max_wrong` of all questions and at or below ceil(`max_wrong_business` x its questions) on every business. When
    none qualifies: the one with the fewest wrong answers on the worst business."""
    by_business: dict[str, list] = {}
    for o in outcomes:
        by_business.setdefault(o[3] if len(o) > 3 else "all", []).append(o[:3])
    plain = [o[:3] for o in outcomes]
    best_t, best_stats, fallback = 0.95, None, None
    for t in np.arange(0.05, 0.96, 0.01):
        stats = {"threshold": round(float(t), 2), **_count(plain, t)}
        per = {b: _count(v, t) for b, v in by_business.items()}
        worst = max(v["wrong"] / max(1, v["total"]) for v in per.values())
        # a small set cannot show a small rate: each business may have ceil(rate x its questions) wrong
        within = all(v["wrong"] <= math.ceil(max_wrong_business * v["total"]) for v in per.values())
        stats["worst_business_wrong_rate"] = round(worst, 4)
        if len(per) > 1:
            stats["by_business"] = per
        if fallback is None or worst < fallback[1]["worst_business_wrong_rate"]:
            fallback = (float(t), stats)
        if stats["wrong"] < max(stats["abstained"], 1) and stats["wrong"] <= max_wrong * len(plain) and within:
            if best_stats is None or stats["correct"] > best_stats["correct"]:
                best_t, best_stats = float(t), stats
    if best_stats is None:
        best_t, best_stats = fallback
        best_stats = {**best_stats, "note": f"no threshold kept wrong answers under {max_wrong:.0%} overall and "
                                            f"{max_wrong_business:.0%} per business"}
    return round(best_t, 2), best_stats


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
                            parts=lambda i: dict(zip(FEATURES, rows[i]["features"])))
        scored = [ScoredUnit(_Said(rows[i]["text"], rows[i].get("title"), rows[i].get("doc")), float(scores[i]), dict(zip(FEATURES, rows[i]["features"])))
                  for i in ranked]
        abstain = rows[idx[0]]["abstain"]
        right = (not abstain and any(rows[i]["label"] for i in picked)
                 and not any(rows[i].get("forbidden") for i in picked))
        out.append({"group": group, "x": shell.part_features(scored), "abstain": abstain, "right": right,
                    "unanswered": _unanswered(rows, picked, ranked)})
    return out


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

    @property
    def language(self) -> str:
        return "zh" if re.search(r"[\u3400-\u9fff]", self.text) else "en"


def _confidence_cv(part_rows, fold_of, folds: int, c: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    px = np.array([[p["x"][k] for k in CONFIDENCE_FEATURES] for p in part_rows])
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


def fit(rows: list[dict], *, c: float = 1.0, l2: float = 0.5, margins=(0.0, 1.0, 2.0, 3.0), max_units=(1, 2, 3),
        max_wrong: float = MAX_WRONG, max_wrong_business: float = MAX_WRONG_BUSINESS) -> SelectionModel:
    """Ranker and confidence cross-validated leave-one-business-out; the threshold chosen on those confidences."""
    from sklearn.linear_model import LogisticRegression

    usable = [r for r in rows if r["features"] is not None]
    fixed = [(1.0 if r.get("curated") else 0.0, bool(r.get("curated") and r["label"] and not r.get("forbidden")),
              r["abstain"], business_of(r["group"])) for r in rows if r["features"] is None]
    x, names = _ranker_matrix(usable)
    y = np.array([r["label"] for r in usable], dtype=float)
    turns = sorted({r["group"] for r in usable})
    businesses = sorted({business_of(r["group"]) for r in rows})
    fold_of = {r["group"]: businesses.index(business_of(r["group"])) for r in rows}
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
            px, py, pc = _confidence_cv(part_rows, fold_of, folds, c)
            outcomes = _turn_outcomes(part_rows, pc) + fixed
            threshold, stats = choose_threshold(outcomes, max_wrong, max_wrong_business)
            trials.append({"margin": margin, "max_units": units,
                           **{k: v for k, v in stats.items() if k != "by_business"}})
            key = ("note" not in stats, stats.get("correct", -1), -stats.get("worst_business_wrong_rate", 1))
            if best is None or key > best[0]:
                best = (key, stats, margin, units, threshold, px, py)
    _, cv_stats, margin, units, threshold, px, py = best
    ranker = fit_ranker(x, y, [np.array(v) for v in part_index.values()], l2)
    confidence = LogisticRegression(C=c, max_iter=2000).fit(px, py)
    meta = {"fitted_on": sorted({r["set"] for r in rows}), "pairs": int(len(usable)), "positives": int(y.sum()),
            "questions": len({r["group"] for r in rows}), "parts": len(part_index),
            "cross_validation": "leave one business out: " + ", ".join(businesses),
            "ranking_cv": ranking, "cv_at_threshold": cv_stats, "trials": trials, "C": c, "l2": l2,
            "max_wrong": max_wrong, "max_wrong_business": max_wrong_business, "date": time.strftime("%Y-%m-%d")}
    return SelectionModel({n: round(float(w), 4) for n, w in zip(names, ranker)},
                          round(float(confidence.intercept_[0]), 4),
                          {n: round(float(w), 4) for n, w in zip(CONFIDENCE_FEATURES, confidence.coef_[0])},
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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    rows_path = Path(args.rows) if args.rows else None
    if rows_path and rows_path.is_file():
        rows = json.loads(rows_path.read_text())
    else:
        rows = collect(Settings.from_env(), Path(args.folder))
        if rows_path:
            rows_path.write_text(json.dumps(rows))
    model = fit(rows, c=args.c, max_wrong=args.max_wrong, max_wrong_business=args.max_wrong_business)
    Path(args.out).write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
    summary = {"threshold": model.threshold, "margin": model.margin, "max_units": model.max_units,
               **{k: v for k, v in model.meta.items() if k != "trials"}}
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
