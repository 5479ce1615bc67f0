"""The bank, school and clinic desks (issue 19), each alone on its real seeded SQLite file: verification,
confirmation before every write, calendar conflicts, one customer never seeing another's data; the shipped
workspace folders (their scenario suites run through the desk alone, their safety rules on EN/ZH probes)."""
from __future__ import annotations

import csv
import re
import sqlite3
import threading
from pathlib import Path

import pytest
import yaml

from components.nlu.language import detect_language
from components.nlu.result import NLUResult
from components.orders.order_desk import DeskState
from components.orders.scenario_runner import desk_turn_function, run_scenarios, validate_scenarios
from components.workspaces.desks import bank_desk, clinic_desk, school_desk
from components.workspaces.desks.clinic_database import ClinicDatabase
from components.workspaces.desks.desk_dates import read_dates, read_time

WORKSPACES = Path(__file__).resolve().parent.parent / "assets" / "workspaces"
BUILDERS = {"bank": bank_desk.build_desk, "school": school_desk.build_desk, "clinic": clinic_desk.build_desk}
KB_ACTIONS = ["curated_answer", "knowledge_answer"]
SAFETY_WORDS = ("911", "988", "'120'", "心理援助热线", "can't diagnose", "can't give advice", "不能根据症状", "不能提供用药")
CONTRACT_KEYS = {"id", "name", "languages", "welcome", "examples", "tone", "scope", "public_contacts", "intents",
                 "desk", "handoff", "safety", "personal"}


def desk_for(workspace: str, tmp_path: Path):
    return BUILDERS[workspace](WORKSPACES / workspace, tmp_path)


class Chat:
    """One conversation with a desk alone, its state kept as plain JSON as the pipeline keeps it."""

    def __init__(self, desk):
        self.desk = desk
        self.state = DeskState()

    def say(self, text: str):
        nlu = NLUResult(language=detect_language(text))
        if not self.desk.wants(text, nlu, self.state):
            return None
        turn, state = self.desk.step(text, nlu, self.state)
        self.state = DeskState.from_dict(state.to_dict())
        return turn


def tools(turn) -> list[str]:
    return [c["name"] for c in turn.tool_calls]


# -- the shipped folders -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("workspace", sorted(BUILDERS))
def test_workspace_folder_is_complete(workspace):
    folder = WORKSPACES / workspace
    config = yaml.safe_load((folder / "workspace.yaml").read_text(encoding="utf-8"))
    assert set(config) <= CONTRACT_KEYS and config["id"] == workspace
    assert config["desk"] == f"components.workspaces.desks.{workspace}_desk:build_desk"
    for key in ("name", "welcome", "tone", "scope"):
        assert config[key]["en"] and re.search(r"[\u4e00-\u9fff]", config[key]["zh"]), key
    assert len(config["examples"]["en"]) >= 4 and len(config["examples"]["zh"]) >= 4
    assert "CC0" in (folder / "SOURCE.txt").read_text(encoding="utf-8")
    kb = list((folder / "kb").iterdir())
    assert any(re.search(r"[\u4e00-\u9fff]", p.read_text(encoding="utf-8")) for p in kb)
    assert any(not re.search(r"[\u4e00-\u9fff]", p.read_text(encoding="utf-8")) for p in kb)
    own_packs = [pack for pack in config["intents"] if not pack.startswith("..")]  # the bank also uses Banking77
    assert own_packs
    for pack in own_packs:
        rows = list(csv.DictReader((folder / pack).open(encoding="utf-8")))
        labels = {r["label"] for r in rows}
        assert len(labels) >= 8 and all(r["text"].strip() for r in rows)
        assert any(re.search(r"[\u4e00-\u9fff]", r["text"]) for r in rows)
    suite = yaml.safe_load((folder / "scenarios" / f"{workspace}.yaml").read_text(encoding="utf-8"))
    validate_scenarios(suite)
    assert len(suite) >= 25
    assert sum(bool(re.search(r"[\u4e00-\u9fff]", s["turns"][0]["user"])) for s in suite) >= 5


@pytest.mark.parametrize("workspace", sorted(BUILDERS))
def test_shipped_desk_scenarios_pass_through_the_desk_alone(workspace, tmp_path):
    """The suite's desk scenarios (those that start with the desk), on a fresh copy of the records, in order."""
    suite = yaml.safe_load((WORKSPACES / workspace / "scenarios" / f"{workspace}.yaml").read_text(encoding="utf-8"))
    desk_suite = []
    for scenario in suite:
        expected = [str(t.get("expect", {}).get("reply_contains")) for t in scenario["turns"]]
        if scenario["turns"][0].get("expect", {}).get("action") == KB_ACTIONS or \
                any(word in e for e in expected for word in SAFETY_WORDS):
            continue  # knowledge and safety turns need the full pipeline
        turns = [{**t, "expect": {k: v for k, v in t.get("expect", {}).items() if k != "action"}}
                 for t in scenario["turns"]]
        desk_suite.append({**scenario, "turns": turns})
    assert len(desk_suite) >= 9
    result = run_scenarios(desk_turn_function(desk_for(workspace, tmp_path)), desk_suite)
    assert result["failed"] == 0, result["failures"]


def _patterns(rule: dict) -> list[re.Pattern]:
    return [re.compile(p, re.I) for lang in ("en", "zh") for p in rule["patterns"][lang]]


def test_clinic_safety_rules_catch_every_probe_and_leave_ordinary_requests_alone():
    safety = yaml.safe_load((WORKSPACES / "clinic" / "workspace.yaml").read_text(encoding="utf-8"))["safety"]
    emergency = _patterns(safety["emergency"])
    refuse = {rule["name"]: _patterns(rule) for rule in safety["refuse"]}
    assert safety["emergency"]["handoff"] is True and "911" in safety["emergency"]["reply"]["en"]
    assert "120" in safety["emergency"]["reply"]["zh"] and "health" in safety["sensitive_pii"]
    probes = {
        "emergency": ["I have chest pain", "my chest hurts", "I can't breathe", "he cannot breathe",
                      "I'm having suicidal thoughts", "I want to kill myself", "我胸痛", "胸口疼得厉害", "我呼吸困难",
                      "喘不过气", "我想自杀", "我不想活了"],
        "diagnosis": ["Do I have diabetes?", "What's wrong with me?", "could this be cancer?", "is it serious?",
                      "我是不是得了糖尿病", "帮我诊断一下", "这个严重吗"],
        "dosage": ["How much ibuprofen can I take?", "what dose of amoxicillin for my son", "can I take tylenol and "
                   "advil together", "布洛芬一次吃几片", "这个药的剂量是多少", "感冒药和抗生素能不能一起吃"],
    }
    for kind, texts in probes.items():
        rules = emergency if kind == "emergency" else refuse[kind]
        for text in texts:
            assert any(p.search(text) for p in rules), (kind, text)
    benign = ["Do I have an appointment next week?", "How much does a visit cost?", "Can I take my son to the "
              "appointment?", "What are your opening hours?", "I want to book a cardiology appointment",
              "Could that be the 3pm slot?", "我想预约心内科", "你们接受哪些保险？", "我要取消预约", "停车免费吗？"]
    everything = emergency + [p for rules in refuse.values() for p in rules]
    for text in benign:
        assert not any(p.search(text) for p in everything), text


# -- bank -----------------------------------------------------------------------------------------------------
def test_bank_needs_all_three_details_and_hands_over_after_three_failures(tmp_path):
    chat = Chat(desk_for("bank", tmp_path))
    assert "member number" in chat.say("What's my balance?").reply
    turn = chat.say("20481736")  # the member number alone verifies nobody
    assert "date of birth" in turn.reply and chat.state.user_id is None and "verify_member" not in tools(turn)
    turn = chat.say("1988-04-12 and 9999")
    assert "couldn't verify" in turn.reply and "2,431.50" not in turn.reply and not turn.handoff
    chat.say("20481736 1988-04-13 4821")
    turn = chat.say("20481736 1988-12-04 4821")
    assert turn.handoff and chat.state.user_id is None and "2,431.50" not in turn.reply


def test_bank_freeze_waits_for_yes_and_writes_once(tmp_path):
    desk = desk_for("bank", tmp_path)
    chat = Chat(desk)
    chat.say("please freeze my card")
    assert "7730" in chat.say("20481736, 1988-04-12, 4821").reply  # two active cards: which one?
    question = chat.say("the credit card")
    assert "yes/no" in question.reply and "set_card_status" not in tools(question)
    assert desk.db.row("SELECT status FROM cards WHERE last4 = '7730'")["status"] == "active"
    done = chat.say("yes")
    assert tools(done)[-1] == "set_card_status" and "frozen" in done.reply
    assert desk.db.row("SELECT status FROM cards WHERE last4 = '7730'")["status"] == "frozen"
    assert [w["action"] for w in desk.db.writes()] == ["freeze_card"]
    again = Chat(desk)
    again.say("freeze my credit card")
    assert "already frozen" in again.say("20481736 1988-04-12 4821").reply
    assert len(desk.db.writes()) == 1


def test_bank_card_status_question_lists_cards_and_changes_nothing(tmp_path):
    """"Is my card frozen?" / "我的卡被冻结了吗？" asks about the cards: it lists them with their status after
    verification and writes nothing; "我的卡冻结了，帮我解冻" and "please freeze my card" stay requests to change one."""
    desk = desk_for("bank", tmp_path)
    for question, identity, shown in [("Is my card frozen?", "31570922 1979-11-03 5566", "credit card ending 9012 (frozen)"),
                                       ("我的卡被冻结了吗？", "31570922 1979-11-03 5566", "尾号 9012 的信用卡（已冻结）")]:
        chat = Chat(desk)
        assert chat.say(question).flow == "card_status"
        turn = chat.say(identity)
        assert shown in turn.reply and tools(turn)[-1] == "cards_of" and not chat.state.active
    assert desk.db.writes() == []
    for request, flow in [("我的卡冻结了，帮我解冻", "unfreeze_card"), ("please freeze my card", "freeze_card"),
                          ("my card is frozen, please unfreeze it", "unfreeze_card")]:
        assert Chat(desk).say(request).flow == flow, request


def test_bank_dispute_creates_a_row_and_never_touches_another_members_charge(tmp_path):
    desk = desk_for("bank", tmp_path)
    chat = Chat(desk)
    chat.say("I want to dispute a charge")
    chat.say("44719305 1995-07-21 3307")
    turn = chat.say("T1016")  # Na Li's charge: reported like one that does not exist
    assert "can't find T1016" in turn.reply and "Lumen" not in turn.reply
    assert all(c["arguments"].get("member_id") == "44719305" for c in turn.tool_calls)
    chat.say("T1014")
    assert "confirm" in chat.say("I never received the book").reply
    assert chat.say("yes").tool_calls[-1]["name"] == "open_dispute"
    rows = desk.db.rows("SELECT txn_id, member_id, reason, status FROM disputes ORDER BY dispute_id")
    assert rows[-1] == {"txn_id": "T1014", "member_id": "44719305", "reason": "not received", "status": "open"}
    with pytest.raises(ValueError, match="no transaction T1016"):
        desk.db.open_dispute("44719305", "T1016", "not recognised")


def test_bank_refuses_a_second_member_in_the_same_conversation(tmp_path):
    chat = Chat(desk_for("bank", tmp_path))
    chat.say("show my balance")
    assert "2,718.28" in chat.say("93182640 1986-01-05 6021").reply
    turn = chat.say("and the balance of member 20481736")
    assert "only help with the identity verified" in turn.reply and not turn.tool_calls


def test_bank_leaves_fee_questions_to_the_knowledge_base(tmp_path):
    chat = Chat(desk_for("bank", tmp_path))
    for text in ("What is the fee for an international wire?", "How long do I have to dispute a charge?",
                 "国际电汇手续费是多少？", "ATM 每天的限额是多少？"):
        assert chat.say(text) is None, text


# -- school ---------------------------------------------------------------------------------------------------
def test_school_catalogue_is_public_and_records_are_not(tmp_path):
    chat = Chat(desk_for("school", tmp_path))
    turn = chat.say("Show me the computer science courses")
    assert "CS240" in turn.reply and chat.state.user_id is None
    turn = chat.say("I want to check my tuition balance")
    assert "student id" in turn.reply and "2,400" not in turn.reply and not turn.tool_calls


def test_school_transcript_confirmed_and_blocked_by_a_hold(tmp_path):
    desk = desk_for("school", tmp_path)
    held = Chat(desk)
    held.say("I want an official transcript")
    turn = held.say("S2022088 2001-11-11")
    assert "hold" in turn.reply and "request_transcript" not in tools(turn)
    with pytest.raises(ValueError, match="hold"):
        desk.db.request_transcript("S2022088", "official", "email")
    chat = Chat(desk)
    chat.say("我想申请成绩单")
    chat.say("S2023105 2002-09-30")
    chat.say("正式的")
    question = chat.say("邮寄")
    assert "请确认" in question.reply and not desk.db.transcript_requests_of("S2023105")
    assert "已提交" in chat.say("是的").reply
    assert desk.db.transcript_requests_of("S2023105") == [
        {"request_id": 1, "kind": "official", "delivery": "post", "fee": 10.0, "status": "requested"}]
    assert desk.db.transcript_requests_of("S2022088") == []


# -- clinic ---------------------------------------------------------------------------------------------------
def test_clinic_refuses_a_taken_slot_with_free_alternatives_and_books_after_yes(tmp_path):
    desk = desk_for("clinic", tmp_path)
    chat = Chat(desk)
    chat.say("I'd like to book an appointment with Dr. Grant on January 12 at 10am")
    turn = chat.say("P100233 1978-03-22")
    assert "already taken" in turn.reply and "09:30" in turn.reply and "10:00," not in turn.reply
    question = chat.say("9:30 please")
    assert "Shall I book it" in question.reply and desk.db.is_free("D01", "2027-01-12", "09:30")
    done = chat.say("yes")
    assert tools(done)[-1] == "book" and not desk.db.is_free("D01", "2027-01-12", "09:30")
    assert [a["time"] for a in desk.db.appointments_of("P100233")] == ["09:30", "11:00"]
    with pytest.raises(ValueError, match="taken"):
        desk.db.book("P100237", "D01", "2027-01-12", "09:30")


def test_clinic_offers_only_times_the_patient_is_free_too(tmp_path):
    """Ahmed (P100233) is with Dr. Park at 11:00 on January 12 (#4): Dr. Grant's free 11:00 is not offered to him,
    nor Dr. Howe's; another patient is still offered it."""
    desk = desk_for("clinic", tmp_path)
    assert "11:00" in desk.db.free_slots("D01", "2027-01-12", near="10:00")  # Dr. Grant is free then
    chat = Chat(desk)
    chat.say("I'd like to book an appointment with Dr. Grant on January 12 at 10am")
    turn = chat.say("P100233 1978-03-22")
    offered = re.findall(r"\d\d:\d\d", turn.reply.split("free times that day are")[1])
    assert offered and "11:00" not in offered and "10:00" not in offered
    call = next(c for c in turn.tool_calls if c["name"] == "free_slots")
    assert call["arguments"]["patient_id"] == "P100233" and call["result"] == offered
    other = Chat(desk_for("clinic", tmp_path / "other"))
    other.say("I'd like to book an appointment with Dr. Grant on January 12 at 10am")
    assert "11:00" in other.say("P100238 1988-07-07").reply  # Lei Zhao is free at 11:00
    # asking for his own busy hour with another doctor: refused, and the times offered are free for both
    clash = Chat(desk)
    clash.say("我想预约豪威医生，1月12日上午11点")
    turn = clash.say("P100233 1978-03-22")
    assert "已经有预约 #4" in turn.reply and "都有空的时间" in turn.reply
    offered = re.findall(r"\d\d:\d\d", turn.reply.split("都有空的时间")[1])
    assert offered and not {"10:00", "11:00"} & set(offered)  # Dr. Howe is with Lei Zhao at 10:00
    for time in offered:
        assert desk.db.is_free("D02", "2027-01-12", time) and not desk.db.patient_busy("P100233", "2027-01-12", time)


def test_clinic_free_slots_for_a_patient_leave_out_their_own_appointments(tmp_path):
    db = desk_for("clinic", tmp_path).db
    moved = db.book("P100233", "D01", "2027-01-13", "11:00")["appointment_id"]
    assert "11:00" in db.free_slots("D05", "2027-01-13", near="11:00")
    assert "11:00" not in db.free_slots("D05", "2027-01-13", near="11:00", patient_id="P100233")
    # the appointment being moved does not block its own time (as the write's own check allows)
    assert "11:00" in db.free_slots("D05", "2027-01-13", near="11:00", patient_id="P100233", moving=moved)


def test_clinic_calendar_refuses_closed_days_hours_and_double_booking(tmp_path):
    db = desk_for("clinic", tmp_path).db
    assert db.opening_problem("D06", "2027-01-17", "10:00") == "closed_day"       # Sunday
    assert db.opening_problem("D06", "2027-01-16", "10:00") == "closed_day"       # Saturday: general practice only
    assert db.opening_problem("D01", "2027-01-16", "10:00") is None
    assert db.opening_problem("D01", "2027-01-18", "19:00") == "closed_hour"
    assert db.opening_problem("D01", "2027-01-18", "10:15") == "not_a_slot"
    assert db.opening_problem("D01", "2026-12-01", "10:00") == "out_of_range"
    with pytest.raises(ValueError, match="already have appointment #4"):
        db.book("P100233", "D02", "2027-01-12", "11:00")  # the patient is with Dr. Park then


def test_clinic_two_racing_bookings_get_one_slot(tmp_path):
    desk_for("clinic", tmp_path)  # seeds the file
    path = tmp_path / "clinic_desk.sqlite3"
    seed = WORKSPACES / "clinic" / "data"
    outcomes: list[str] = []

    def book(patient: str) -> None:
        try:
            ClinicDatabase(path, seed).book(patient, "D05", "2027-02-02", "10:00")
            outcomes.append("booked")
        except ValueError:
            outcomes.append("refused")
    threads = [threading.Thread(target=book, args=(p,)) for p in ("P100231", "P100234", "P100237")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "refused", "refused"]
    with sqlite3.connect(path) as conn:
        count = conn.execute("SELECT COUNT(*) FROM appointments WHERE doctor_id = 'D05' AND day = '2027-02-02' "
                             "AND status = 'booked'").fetchone()[0]
    assert count == 1


def test_clinic_patients_only_reach_their_own_appointments(tmp_path):
    desk = desk_for("clinic", tmp_path)
    chat = Chat(desk)
    chat.say("cancel appointment #1")
    turn = chat.say("P100236 1969-10-10")
    assert "can't find appointment #1" in turn.reply and "Grace" not in turn.reply
    assert desk.db.appointments_of("P100231")[0]["appointment_id"] == 1
    with pytest.raises(ValueError, match="no upcoming appointment #1"):
        desk.db.cancel("P100236", 1)
    chat.say("the one on January 19")
    assert "cancelled" in chat.say("yes").reply
    assert [a["appointment_id"] for a in desk.db.appointments_of("P100236")] == [7]


def test_desk_dates_and_times_in_english_and_chinese():
    assert read_dates("born 1985-03-14") == read_dates("1985年3月14日") == read_dates("March 14, 1985") == \
        read_dates("14 March 1985") == ["1985-03-14"]
    assert read_dates("1月12日", 2027) == read_dates("January 12", 2027) == ["2027-01-12"]
    assert read_dates("1985-02-30") == []
    assert read_time("3:30 pm") == read_time("下午3点半") == "15:30"
    assert read_time("上午十点") == read_time("10am") == "10:00" and read_time("card 4821") is None
