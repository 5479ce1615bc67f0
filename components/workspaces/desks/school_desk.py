"""The school desk (Maple Ridge University): the course catalogue and the academic calendar (public), and for a
verified student their enrollment status, tuition balance and transcript requests.

Students are verified by student id + date of birth. A transcript request lists the kind, delivery and fee and
waits for an explicit yes; an official transcript is refused while the record has a hold. Refund rules and other
policies are the knowledge base's.
"""
from __future__ import annotations

import re
from pathlib import Path

from components.workspaces.desks.identity_readers import id_reader, read_birth_date
from components.workspaces.desks.school_database import TRANSCRIPT_FEES, SchoolDatabase
from components.workspaces.desks.verified_desk import Flow, IdentityField, VerifiedDesk

_STUDENT_ID = r"\b(S\d{7})\b"
_read_student = id_reader(_STUDENT_ID)
_COURSE_CODE = re.compile(r"(?<![A-Za-z])([A-Za-z]{2,4})\s?(\d{3})(?!\d)")
TERM = "Spring 2027"
_DEPARTMENTS = {
    "computer science": re.compile(r"computer science|computing|programming|\bCS\b|计算机|编程", re.I),
    "mathematics": re.compile(r"\bmath|statistic|数学|统计|概率", re.I),
    "economics": re.compile(r"econom|经济", re.I),
    "english": re.compile(r"\benglish\b|writing|英语|写作", re.I),
    "biology": re.compile(r"biolog|生物", re.I),
    "chemistry": re.compile(r"chemi|化学", re.I),
    "history": re.compile(r"histor|历史", re.I),
    "languages": re.compile(r"chinese|mandarin|language|中文|汉语|语言", re.I),
}


def _course_codes(text: str) -> list[str]:
    """Course codes named in `text` ("CS240", "cs 240", "选上HIST120了吗"), in order."""
    return [a.upper() + b for a, b in _COURSE_CODE.findall(text) if a.upper() not in ("THE", "AND", "FOR", "ROOM", "ID")]


_STATUS_ZH = {"enrolled": "已选上", "waitlisted": "候补中", "dropped": "已退选"}
_OFFICIAL = re.compile(r"\bofficial\b|正式", re.I)
_UNOFFICIAL = re.compile(r"unofficial|not official|非正式|普通", re.I)
_POST = re.compile(r"\b(post|mail(ed)?|paper|printed|by letter)\b|邮寄|纸质|寄", re.I)
_EMAIL = re.compile(r"e-?mail|electronic|pdf|digital|电子|邮箱|邮件", re.I)


class SchoolDesk(VerifiedDesk):
    FLOWS = [
        Flow("transcript", re.compile(r"transcript|成绩单", re.I), True, ("requesting a transcript", "申请成绩单")),
        Flow("tuition", re.compile(r"\b(my|our) (tuition|fees|balance|bill)|how much do i (still )?owe|"
                                   r"tuition (balance|account)|outstanding (balance|tuition)|我的学费|学费余额|欠.{0,4}学费|"
                                   r"还(要|需要)?(交|缴)多少|学费(账单|还差)", re.I),
             True, ("checking your tuition balance", "查询学费余额"), general_ok=True),
        Flow("enrollment", re.compile(r"am i (enrolled|registered|on the waitlist)|enrol+ment status|registration status|"
                                      r"my (classes|courses|enrol+ments?|schedule|timetable)|waitlist (status|position)|"
                                      r"(courses?|classes) am i (taking|in|enrol+ed in|registered for)|"
                                      r"选课(状态|情况|结果)|我的(课|课程|课表|选课)|注册状态|候补|选上.{0,12}(吗|没)", re.I),
             True, ("checking your enrollment", "查询选课状态")),
        Flow("deadlines", re.compile(r"deadlines?|last day to|academic calendar|(key|important) dates|when (do|does) (classes|the term|"
                                     r"term|semester) (start|begin|end)|final exams?|截止|最后一天|校历|开学|期末考试|重要日期", re.I),
             False, ("the academic calendar", "校历查询"), general_ok=True),
        Flow("catalogue", re.compile(r"\bcourses?\b|\bclasses\b|catalog(ue)?|class schedule|\b[A-Z]{2,4}\s?\d{3}\b|"
                                     r"课程|课表|上课时间|开课|开设", re.I),
             False, ("the course catalogue", "课程查询"), general_ok=True),
    ]
    IDENTITY = [
        IdentityField("student_id", ("your student id (like S2024017)", "学号（例如 S2024017）"), _read_student),
        IdentityField("birth_date", ("your date of birth", "出生日期"),
                      lambda text, awaiting: read_birth_date(text, awaiting, lambda s: bool(_read_student(s, False)))),
    ]
    TEMPLATES = {
        "course": ("{code} {title}: {credits} credits, {days} {hours}, room {room}, {instructor} ({seats} seats, "
                   "{term}).",
                   "{code} {title}：{credits} 学分，{days} {hours}，教室 {room}，{instructor}（{seats} 个名额，{term}）。"),
        "no_course": ("There is no course {code} in the {term} catalogue. Courses offered: {codes}.",
                      "{term} 的课程目录中没有 {code}。开设的课程有：{codes}。"),
        "courses_in": ("{term} courses{where}:\n{lines}", "{term}{where}开设的课程：\n{lines}"),
        "deadlines": ("Key dates for {term}:\n{lines}", "{term} 的重要日期：\n{lines}"),
        "enrollments": ("Your courses for {term}:\n{lines}", "您 {term} 的选课情况：\n{lines}"),
        "no_enrollments": ("You are not enrolled in any course.", "您目前没有选任何课程。"),
        "course_status": ("{code} {title}: you are {status}.", "{code} {title}：{status}。"),
        "not_in_course": ("You are not enrolled or waitlisted in {code} for {term}.", "您在 {term} 没有选 {code}，也不在候补名单上。"),
        "waitlist_note": ("Waitlisted students are enrolled automatically if a seat opens before the add/drop "
                          "deadline (2027-02-01).", "如果在加退选截止日（2027-02-01）前有空位，候补的学生会被自动选上。"),
        "tuition": ("Your tuition: {lines}", "您的学费：{lines}"),
        "tuition_line": ("{term}: charged ${charged}, paid ${paid}, balance ${balance} (due {due})",
                         "{term}：应缴 ${charged}，已缴 ${paid}，余额 ${balance}（截止 {due}）"),
        "ask_kind": ("Would you like an official transcript ($10, sent by secure email or by post) or an unofficial "
                     "one (free, sent to your student email)?",
                     "请问您需要正式成绩单（10 美元，通过加密邮件或邮寄发送）还是非正式成绩单（免费，发送到您的学校邮箱）？"),
        "ask_delivery": ("Should the official transcript go by secure email or by post to your address on file?",
                         "正式成绩单要通过加密邮件发送，还是邮寄到您登记的地址？"),
        "confirm_transcript": ("Please confirm: {kind} transcript, sent by {delivery}, fee ${fee}. Shall I submit the "
                               "request? (yes/no)",
                               "请确认：{kind}成绩单，发送方式：{delivery}，费用 ${fee}。确认提交申请吗？（是/否）"),
        "transcript_done": ("Done: transcript request #{request_id} is submitted ({kind}, by {delivery}). Official "
                            "transcripts are sent within 3 business days; the fee is added to your student account.",
                            "已完成：成绩单申请 #{request_id} 已提交（{kind}，{delivery}）。正式成绩单在 3 个工作日内发出；"
                            "费用计入您的学生账户。"),
        "transcript_hold": ("I can't request an official transcript: there is a {hold} hold on your record. Please "
                            "clear it with the Student Accounts office first; you can still get an unofficial "
                            "transcript now.",
                            "无法申请正式成绩单：您的记录上有{hold}冻结（hold）。请先到学生账户办公室处理；"
                            "您现在仍可以申请非正式成绩单。"),
    }

    def verify(self, t, identity):
        student, _ = self.call(t, "verify_student", student_id=identity["student_id"],
                               birth_date=identity["birth_date"])
        return (student["student_id"], student["first_name"]) if student else None

    def fills(self, awaiting, text, sig, state):
        if awaiting in ("kind", "delivery"):
            return bool(_OFFICIAL.search(text) or _UNOFFICIAL.search(text) or _POST.search(text)
                        or _EMAIL.search(text))
        return False

    # -- public ------------------------------------------------------------------------------------------------
    def _course_text(self, c: dict, lang: str) -> str:
        return self.say("course", lang, code=c["code"], title=c["title_zh"] if lang == "zh" else c["title_en"],
                        credits=c["credits"], days=c["days"], hours=c["hours"], room=c["room"],
                        instructor=c["instructor"], seats=c["seats"], term=c["term"])

    def flow_catalogue(self, text, sig, st, t):
        lang = t.language
        st.end_flow()
        codes = _course_codes(text)
        if codes:
            found, _ = self.call(t, "courses", code=codes[0])
            if found:
                return t.done(st, "catalogue", self._course_text(found[0], lang), f"showed {codes[0]}")
            everything, _ = self.call(t, "courses")
            return t.done(st, "catalogue", self.say("no_course", lang, code=codes[0], term=TERM,
                                                    codes=", ".join(c["code"] for c in everything)),
                          f"no course {codes[0]}")
        department = next((d for d, pattern in _DEPARTMENTS.items() if pattern.search(text)), None)
        found, _ = self.call(t, "courses", department=department) if department else self.call(t, "courses")
        where = ""
        if department:
            where = f"（{department}）" if lang == "zh" else f" in {department}"
        lines = "\n".join("- " + self._course_text(c, lang) for c in found)
        return t.done(st, "catalogue", self.say("courses_in", lang, term=TERM, where=where, lines=lines),
                      f"listed {len(found)} courses")

    def flow_deadlines(self, text, sig, st, t):
        lang = t.language
        st.end_flow()
        found, _ = self.call(t, "deadlines", term=TERM)
        lines = "\n".join(f"- {d['day']}: {d['what_zh'] if lang == 'zh' else d['what_en']}" for d in found)
        return t.done(st, "deadlines", self.say("deadlines", lang, term=TERM, lines=lines), "listed the deadlines")

    # -- personal ----------------------------------------------------------------------------------------------
    RECORDS_TITLE = ("Courses and tuition", "课程和学费")

    def customer_records(self, customer_id: str, language: str = "en") -> list[dict]:
        zh = language == "zh"
        rows = [{"id": e["code"], "status": f"{e['term']} · {_STATUS_ZH.get(e['status'], e['status']) if zh else e['status']}"}
                for e in self.db.enrollments_of(customer_id)]
        rows += [{"id": ("学费 " if zh else "tuition ") + r["term"],
                  "status": ("余额" if zh else "balance") + f" ${r['balance']:,.2f} · " + ("截止 " if zh else "due ") + r["due_day"]}
                 for r in self.db.tuition_of(customer_id)]
        student = self.db.student(customer_id) or {}
        if student.get("hold"):
            rows.append({"id": "冻结" if zh else "hold", "status": str(student["hold"])})
        return rows

    def flow_enrollment(self, text, sig, st, t):
        lang = t.language
        words = " ".join([st.slots.get("said", ""), text])  # "am I enrolled in CS240?", then the identity
        st.end_flow()
        found, _ = self.call(t, "enrollments_of", student_id=st.user_id)
        if not found:
            return t.done(st, "enrollment", self.say("no_enrollments", lang), "no enrollments")
        if lang == "zh":
            lines = "\n".join(f"- {e['code']} {e['title_zh']}：{_STATUS_ZH.get(e['status'], e['status'])}"
                              f"（{e['days']} {e['hours']}）" for e in found)
        else:
            lines = "\n".join(f"- {e['code']} {e['title_en']}: {e['status']} ({e['days']} {e['hours']})" for e in found)
        reply = self.say("enrollments", lang, term=TERM, lines=lines)
        asked = _course_codes(words)
        if asked:  # the course they asked about first, then the whole term
            code = asked[0]
            course = next((e for e in found if e["code"] == code), None)
            if course is None:
                first = self.say("not_in_course", lang, code=code, term=TERM)
            else:
                status = _STATUS_ZH.get(course["status"], course["status"]) if lang == "zh" else course["status"]
                first = self.say("course_status", lang, code=code, status=status,
                                 title=course["title_zh" if lang == "zh" else "title_en"])
            reply = first + "\n" + reply
        if any(e["status"] == "waitlisted" for e in found):
            reply += ("\n" if lang != "zh" else "\n") + self.say("waitlist_note", lang)
        return t.done(st, "enrollment", reply, f"showed {len(found)} enrollments to their student")

    def flow_tuition(self, text, sig, st, t):
        lang = t.language
        st.end_flow()
        found, _ = self.call(t, "tuition_of", student_id=st.user_id)
        lines = ("；" if lang == "zh" else "; ").join(
            self.say("tuition_line", lang, term=r["term"], charged=f"{r['charged']:,.2f}", paid=f"{r['paid']:,.2f}",
                     balance=f"{r['balance']:,.2f}", due=r["due_day"]) for r in found)
        return t.done(st, "tuition", self.say("tuition", lang, lines=lines), "showed the tuition account to its owner")

    def flow_transcript(self, text, sig, st, t):
        lang = t.language
        # the request itself may already say which ("an official transcript by post"); the identity turn says nothing
        words = st.slots.get("said", "") if t.prefix else " ".join([st.slots.get("said", ""), text])
        kind = "unofficial" if _UNOFFICIAL.search(words) else "official" if _OFFICIAL.search(words) else None
        stop = self.fill_or_ask(st, t, "kind", kind, self.say("ask_kind", lang), "need the kind of transcript")
        if stop is not None:
            return stop
        kind = st.slots["kind"]
        if kind == "official":
            student, _ = self.call(t, "student", student_id=st.user_id)
            if student and student.get("hold"):
                st.end_flow()
                hold = {"financial": "财务"}.get(student["hold"], student["hold"]) if lang == "zh" else student["hold"]
                return t.done(st, "transcript", self.say("transcript_hold", lang, hold=hold),
                              "official transcript refused: the record has a hold")
        said = text if not t.prefix else words
        delivery = "email" if kind == "unofficial" else "post" if _POST.search(said) else \
            "email" if _EMAIL.search(said) else None
        stop = self.fill_or_ask(st, t, "delivery", delivery, self.say("ask_delivery", lang), "need the delivery")
        if stop is not None:
            return stop
        delivery = st.slots["delivery"]
        kind_text = ({"official": "正式", "unofficial": "非正式"}[kind]) if lang == "zh" else kind
        delivery_text = ({"email": "电子邮件", "post": "邮寄"}[delivery]) if lang == "zh" else \
            {"email": "email", "post": "post"}[delivery]
        fee = f"{TRANSCRIPT_FEES[kind]:.2f}"
        stop = self.confirm(st, sig, t, ["transcript", kind, delivery],
                            self.say("confirm_transcript", lang, kind=kind_text, delivery=delivery_text, fee=fee))
        if stop is not None:
            return stop
        result, error = self.call(t, "request_transcript", student_id=st.user_id, kind=kind, delivery=delivery)
        reply = self.say("transcript_done", lang, request_id=(result or {}).get("request_id"), kind=kind_text,
                         delivery=delivery_text)
        return self.finish_write(st, t, result, error, reply, f"requested an {kind} transcript by {delivery}")


def build_desk(workspace_dir: Path, data_dir: Path) -> SchoolDesk:
    """The desk on its own SQLite file in the data dir (<workspace id>_desk.sqlite3: a copy of this workspace imported
    under another id keeps its own records), seeded from the workspace's data/ on first use."""
    return SchoolDesk(SchoolDatabase(Path(data_dir) / f"{Path(workspace_dir).name}_desk.sqlite3", Path(workspace_dir) / "data"))
