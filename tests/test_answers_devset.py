"""The answers dev set (assets/eval/answers/) loads, is well formed, is big enough, and its facts are in its documents.

No model and no knowledge base: this guards the data the answer composer is tuned and judged on (issue #15).
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from components.dialogue.dialogue_eval import load_scenarios
from components.orders.scenario_runner import validate_scenarios

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = ROOT / "assets" / "eval" / "answers"

# file stem -> (minimum turns, documents the answers must come from)
SETS = {
    "shop_en": (45, [ROOT / "kb", ROOT / "assets" / "shop" / "wiki.md"]),
    "shop_zh": (30, [ROOT / "kb"]),
    "uploaded": (15, [ANSWERS / "uploaded_docs"]),
    "unseen_dev": (60, [ANSWERS / "unseen_dev_docs"]),
    "unseen_gym": (40, [ANSWERS / "unseen_gym_docs"]),
    "unseen_clinic": (55, [ANSWERS / "unseen_clinic_docs"]),
    "unseen_school": (55, [ANSWERS / "unseen_school_docs"]),
    "unseen_airline": (60, [ANSWERS / "unseen_airline_docs"]),
    "unseen_insurance": (60, [ANSWERS / "unseen_insurance_docs"]),
    "unseen_energy": (60, [ANSWERS / "unseen_energy_docs"]),
    "unseen_delivery": (60, [ANSWERS / "unseen_delivery_docs"]),
    "unseen_electronics": (60, [ANSWERS / "unseen_electronics_docs"]),
    "unseen_hotel": (60, [ANSWERS / "unseen_hotel_docs"]),
    "unseen_rental": (60, [ANSWERS / "unseen_rental_docs"]),
    "unseen_pharmacy": (60, [ANSWERS / "unseen_pharmacy_docs"]),
    "unseen_broker": (60, [ANSWERS / "unseen_broker_docs"]),
    "unseen_streaming": (60, [ANSWERS / "unseen_streaming_docs"]),
    "unseen_cowork": (60, [ANSWERS / "unseen_cowork_docs"]),
    "unseen_bikeshare": (60, [ANSWERS / "unseen_bikeshare_docs"]),
    "unseen_tickets": (60, [ANSWERS / "unseen_tickets_docs"]),
    "unseen_student": (60, [ANSWERS / "unseen_student_docs"]),
    "unseen_holdout": (30, [ANSWERS / "unseen_holdout_docs"]),
}


def _turns(stem: str) -> list[dict]:
    return [turn for scenario in load_scenarios(ANSWERS / f"{stem}.yaml") for turn in scenario["turns"]]


def _facts(expect: dict) -> list:
    """Every expected fact of a turn, its parts' included."""
    return list(expect.get("reply_contains") or []) + [item for part in expect.get("parts") or []
                                                        for item in part.get("reply_contains") or []]


def _corpus(paths: list[Path]) -> str:
    files = [p for path in paths for p in ([path] if path.is_file() else sorted(path.rglob("*")))
             if p.is_file() and p.suffix in (".md", ".csv")]
    assert files, f"no documents under {paths}"
    return "\n".join(p.read_text(encoding="utf-8") for p in files).replace("**", "").lower()


@pytest.mark.parametrize("stem", sorted(SETS))
def test_scenario_file_is_well_formed_and_big_enough(stem):
    scenarios = load_scenarios(ANSWERS / f"{stem}.yaml")
    # `abstain` is the answers evaluator's own expectation; validate the rest with the shared validator.
    stripped = copy.deepcopy(scenarios)
    for scenario in stripped:
        for turn in scenario["turns"]:
            (turn.get("expect") or {}).pop("abstain", None)
            for part in (turn.get("expect") or {}).pop("parts", None) or []:
                part.pop("abstain", None)
                validate_scenarios([{"turns": [{"user": turn["user"], "expect": part}]}])
    validate_scenarios(stripped)
    names = [s["name"] for s in scenarios]
    assert len(names) == len(set(names)), "scenario names must be unique"
    turns = _turns(stem)
    assert len(turns) >= SETS[stem][0]
    for turn in turns:
        expect = turn.get("expect") or {}
        assert expect, f"{turn['user']!r} has no expectation"
        if expect.get("abstain"):
            assert expect["abstain"] is True and not _facts(expect), turn["user"]
        elif expect.get("parts"):
            assert not expect.get("reply_contains"), f"{turn['user']!r}: facts belong to its parts"
            for part in expect["parts"]:
                assert part.get("abstain") is True or part.get("reply_contains"), turn["user"]
        else:
            assert expect.get("reply_contains"), f"{turn['user']!r} names no expected fact"
    assert any((t.get("expect") or {}).get("abstain") for t in turns), "every set has questions to decline"


@pytest.mark.parametrize("stem", sorted(SETS))
def test_every_expected_fact_is_written_in_the_documents(stem):
    corpus = _corpus(SETS[stem][1])
    for turn in _turns(stem):
        for item in _facts(turn.get("expect") or {}):
            options = item if isinstance(item, list) else [item]
            assert any(str(o).lower() in corpus for o in options), f"{turn['user']!r}: none of {options} in the docs"


def test_unseen_sets_have_chinese_questions_and_documents():
    for stem, minimum in (("unseen_dev", 10), ("unseen_gym", 10), ("unseen_clinic", 8),
                            ("unseen_school", 8), ("unseen_airline", 12), ("unseen_insurance", 12),
                            ("unseen_energy", 12), ("unseen_delivery", 12),
                            ("unseen_electronics", 12), ("unseen_hotel", 12), ("unseen_rental", 12), ("unseen_pharmacy", 12), ("unseen_streaming", 12), ("unseen_cowork", 12), ("unseen_bikeshare", 12), ("unseen_tickets", 12), ("unseen_student", 12),
                            ("unseen_holdout", 5)):
        chinese = [t for t in _turns(stem) if any("\u4e00" <= ch <= "\u9fff" for ch in t["user"])]
        assert len(chinese) >= minimum, stem
        assert list((ANSWERS / f"{stem}_docs").glob("*-zh.md")), stem
