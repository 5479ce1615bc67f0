"""Fit the evidence-selection model and its abstention threshold on the dev sets (never on the held-out one).

    python -m components.answers.calibration [--out components/answers/selection_model.json]

For every customer turn of the dev sets in assets/eval/answers/ (each over its own documents, as its README says),
the composer ranks every candidate unit; a unit is labelled as answering when it contains one of the expected facts
(`reply_contains`, any alternative) and none of the forbidden ones; every unit of a question the documents do not
answer (`abstain: true`) is labelled as not answering. A logistic regression over the selector's features is
A listwise ranker (a softmax over each part's candidates) is fitted on these labels, then a logistic model of
P(the best unit answers the part) over the ranking's shape (best score, margin, the best unit's word and meaning
match); both are cross-validated in 5 folds grouped by question, and the cross-validated confidences choose the
threshold below which the bot abstains: the one with the most questions answered correctly among those where
confidently wrong answers stay rarer than abstentions (the issue's rule) and at or below MAX_WRONG (5 %) of the
questions.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
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
}


def _contains(text: str, options) -> bool:
    options = options if isinstance(options, list) else [options]
    lowered = text.lower()
    return any(str(o).lower() in lowered for o in options)


def forbidden(text: str, expect: dict) -> bool:
    return any(str(n).lower() in text.lower() for n in expect.get("reply_not_contains") or [])


def label_unit(text: str, expect: dict) -> int:
    if expect.get("abstain"):
        return 0
    if any(str(n).lower() in text.lower() for n in expect.get("reply_not_contains") or []):
        return 0
    return int(any(_contains(text, item) for item in expect.get("reply_contains") or []))


def collect(settings, folder: Path, sets: dict | None = None) -> list[dict]:
    """One row per (turn, part, candidate unit): {group, features, label, set}."""
    from components.answers.composer import AnswerComposer
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
                            for p_index, part in enumerate(answer.parts):
                                for c in part.candidates:
                                    rows.append({"group": group, "part": p_index, "set": name,
                                                 "abstain": bool(expect.get("abstain")),
                                                 "question": turn["user"], "text": c.unit.text,
                                                 "forbidden": forbidden(c.unit.text, expect),
                                                 "features": [float(c.parts.get(f, 0.0)) for f in FEATURES],
                                                 "label": label_unit(c.unit.text, expect)})
                            if not answer.parts or not any(p.candidates for p in answer.parts):
                                rows.append({"group": group, "part": 0, "set": name, "features": None,
                                             "abstain": bool(expect.get("abstain")), "label": 0})
            finally:
                services.close()
    return rows


MAX_WRONG = 0.05  # the share of confidently wrong answers the threshold may allow on the dev sets (cross-validated)


def choose_threshold(outcomes: list[tuple[float, bool, bool]], max_wrong: float = MAX_WRONG) -> tuple[float, dict]:
    """Per question (confidence, its best evidence answers it, it expects an abstention): the threshold with the most
    correct answers among those where wrong answers stay rarer than abstentions and at or below `max_wrong`."""
    n = len(outcomes)
    best_t, best_stats = 0.95, None
    for t in np.arange(0.05, 0.96, 0.01):
        correct = wrong = abstained = 0
        for p, right, should_abstain in outcomes:
            if p < t:
                correct += should_abstain
                abstained += not should_abstain
            elif right and not should_abstain:
                correct += 1
            else:
                wrong += 1
        stats = {"threshold": round(float(t), 2), "correct": correct, "wrong": wrong, "abstained": abstained,
                 "total": n}
        if wrong < max(abstained, 1) and wrong <= max_wrong * n:
            if best_stats is None or correct > best_stats["correct"]:
                best_t, best_stats = float(t), stats
    if best_stats is None:
        best_stats = {"threshold": best_t, "note": f"no threshold kept wrong answers under {max_wrong:.0%}"}
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
        picked = pick_units(ranked, margin, max_units, text=lambda i: rows[i]["text"], score=lambda i: scores[i])
        scored = [ScoredUnit(None, float(scores[i]), dict(zip(FEATURES, rows[i]["features"]))) for i in ranked]
        abstain = rows[idx[0]]["abstain"]
        right = (not abstain and any(rows[i]["label"] for i in picked)
                 and not any(rows[i].get("forbidden") for i in picked))
        out.append({"group": group, "x": shell.part_features(scored), "abstain": abstain, "right": right})
    return out


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


def fit(rows: list[dict], *, c: float = 1.0, l2: float = 0.5, folds: int = 5,
        margins=(0.0, 0.5, 1.0, 1.5, 2.0, 3.0), max_units=(1, 2, 3)) -> SelectionModel:
    from sklearn.linear_model import LogisticRegression

    usable = [r for r in rows if r["features"] is not None]
    empty_turns = {r["group"]: r["abstain"] for r in rows if r["features"] is None}
    x, names = _ranker_matrix(usable)
    y = np.array([r["label"] for r in usable], dtype=float)
    turns = sorted({r["group"] for r in usable})
    rng = np.random.default_rng(0)
    rng.shuffle(turns)
    fold_of = {t: i % folds for i, t in enumerate(turns)}
    part_index: dict[tuple, list[int]] = {}
    for i, r in enumerate(usable):
        part_index.setdefault((r["group"], r["part"]), []).append(i)
    cv_scores = np.zeros(len(usable))
    for k in range(folds):
        train = [np.array(v) for key, v in part_index.items() if fold_of[key[0]] != k]
        w = fit_ranker(x, y, train, l2)
        test = [i for key, v in part_index.items() if fold_of[key[0]] == k for i in v]
        cv_scores[test] = x[test] @ w
    best = None
    trials = []
    for margin in margins:
        for units in max_units:
            part_rows = _part_rows(usable, cv_scores, margin, units)
            px, py, pc = _confidence_cv(part_rows, fold_of, folds, c)
            outcomes = _turn_outcomes(part_rows, pc) + [(0.0, False, a) for a in empty_turns.values()]
            threshold, stats = choose_threshold(outcomes)
            trials.append({"margin": margin, "max_units": units, **stats})
            if best is None or stats.get("correct", -1) > best[0].get("correct", -1):
                best = (stats, margin, units, threshold, px, py)
    cv_stats, margin, units, threshold, px, py = best
    ranker = fit_ranker(x, y, [np.array(v) for v in part_index.values()], l2)
    confidence = LogisticRegression(C=c, max_iter=2000).fit(px, py)
    meta = {"fitted_on": sorted({r["set"] for r in rows}), "pairs": int(len(usable)), "positives": int(y.sum()),
            "questions": len(turns) + len(empty_turns), "parts": len(part_index),
            "cv_at_threshold": cv_stats, "trials": trials, "C": c, "l2": l2, "date": time.strftime("%Y-%m-%d")}
    return SelectionModel({n: round(float(w), 4) for n, w in zip(names, ranker)},
                          round(float(confidence.intercept_[0]), 4),
                          {n: round(float(w), 4) for n, w in zip(CONFIDENCE_FEATURES, confidence.coef_[0])},
                          threshold, margin, units, meta)


def _turn_outcomes(part_rows: list[dict], confidences: np.ndarray) -> list[tuple[float, bool, bool]]:
    """Per question: its most confident part decides whether it is answered, and whether that answer is right."""
    best: dict[str, tuple[float, bool, bool]] = {}
    for p, conf in zip(part_rows, confidences):
        current = best.get(p["group"])
        if current is None or conf > current[0]:
            best[p["group"]] = (float(conf), p["right"], p["abstain"])
    return list(best.values())


def main(argv: list[str] | None = None) -> int:
    from components.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", default="assets/eval/answers", help="the dev sets and their documents")
    parser.add_argument("--out", default=str(MODEL_FILE))
    parser.add_argument("--rows", default=None, help="reuse (or save) the collected rows in this JSON file")
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    rows_path = Path(args.rows) if args.rows else None
    if rows_path and rows_path.is_file():
        rows = json.loads(rows_path.read_text())
    else:
        rows = collect(Settings.from_env(), Path(args.folder))
        if rows_path:
            rows_path.write_text(json.dumps(rows))
    model = fit(rows, c=args.c)
    Path(args.out).write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(json.dumps(model.to_dict(), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
