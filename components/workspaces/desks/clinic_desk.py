"""The clinic desk (Riverside Family Clinic): book, reschedule and cancel appointments on the clinic's calendar, and
list a patient's upcoming appointments.

Patients are verified by patient id + date of birth before anything personal. A taken slot is refused with the
nearest free times; a day or hour the clinic is closed is refused with the opening hours. Every booking, move and
cancellation lists the details and waits for an explicit yes. The desk never asks about or records symptoms:
emergencies, diagnosis and dosage questions are stopped earlier by the workspace's safety rules (workspace.yaml).
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from components.workspaces.desks.clinic_database import ClinicDatabase
from components.workspaces.desks.desk_dates import read_dates, read_time
from components.workspaces.desks.identity_readers import id_reader, read_birth_date
from components.workspaces.desks.verified_desk import Flow, IdentityField, VerifiedDesk

_PATIENT_ID = r"\b(P\d{6})\b"
_read_patient = id_reader(_PATIENT_ID)
CALENDAR_YEAR = 2027
_DEPARTMENT_WORDS = {
    "general": re.compile(r"general practi|family doctor|\bGP\b|check-?up|全科|家庭医生|体检", re.I),
    "pediatrics": re.compile(r"pa?ediatric|\bchild|\bkids?\b|\bbaby\b|\bson\b|\bdaughter\b|儿科|孩子|小孩|宝宝|儿子|女儿", re.I),
    "dermatology": re.compile(r"dermatolog|\bskin\b|皮肤", re.I),
    "cardiology": re.compile(r"cardiolog|\bheart\b|心内科|心脏", re.I),
    "dentistry": re.compile(r"dentist|dental|\bteeth\b|\btooth\b|牙|口腔", re.I),
    "physiotherapy": re.compile(r"physio|rehab|理疗|康复", re.I),
}
_APPOINTMENT_ID = re.compile(r"(?:#|appointment\s*(?:number|no\.?|id)?\s*#?|预约(?:号|编号)?\s*#?)\s*(\d{1,5})\b", re.I)
_WEEKDAY_ZH = "一二三四五六日"


class ClinicDesk(VerifiedDesk):
    FLOWS = [
        Flow("cancel_appointment", re.compile(r"\bcancel\b|取消", re.I), True, ("cancelling an appointment", "取消预约")),
        Flow("reschedule", re.compile(r"reschedul|\bmove\b.{0,20}\bappointment|change (the|my) appointment|"
                                      r"another (day|time)|改约|改期|改时间|换个时间|换到|(预约|挂号).{0,4}(改到|改成|改为|推迟|提前)|调整.{0,4}(预约|时间)", re.I),
             True, ("rescheduling an appointment", "改约")),
        Flow("my_appointments", re.compile(r"my (upcoming |next )?appointments?\b(?!.{0,12}\b(with|for|on)\b)|"
                                           r"when is my|upcoming appointments?|do i have (an? |any )?(upcoming )?"
                                           r"appointments?|appointments? (coming up|booked)|我的预约|预约记录|查.{0,4}预约|"
                                           r"什么时候.{0,4}(预约|就诊)|(下次|下一次)的?(预约|就诊|复诊)|"
                                           r"我(有|约了)(没有)?.{0,4}(预约|挂号)(吗|么|没有|吧)", re.I),
             True, ("listing your appointments", "查询预约")),
        Flow("book", re.compile(r"\b(book|make|schedule|set up|get)\b.{0,30}\b(appointments?|visit|consultation|"
                                r"check-?up)\b|\bappointment (with|for|on)\b|\bsee (a|the) (doctor|dentist|"
                                r"dermatologist|cardiologist|physio)|\bsee dr\b|预约|挂号|看医生|约.{0,4}医生", re.I),
             True, ("booking an appointment", "预约挂号")),
    ]
    IDENTITY = [
        IdentityField("patient_id", ("your patient id (like P100231)", "患者编号（例如 P100231）"), _read_patient),
        IdentityField("birth_date", ("your date of birth", "出生日期"),
                      lambda text, awaiting: read_birth_date(text, awaiting, lambda s: bool(_read_patient(s, False)))),
    ]
    TEMPLATES = {
        "ask_department": ("Which department or doctor would you like? {departments}",
                           "请问您要预约哪个科室或哪位医生？{departments}"),
        "ask_day": ("Which day would you like with {doctor}? We book from {first} to {last}; Monday to Friday "
                    "08:00 to 18:00, and Saturday 09:00 to 13:00 for general practice only.",
                    "请问您想约{doctor}的哪一天？可预约日期为 {first} 至 {last}；周一至周五 8:00–18:00，"
                    "周六 9:00–13:00 仅限全科。"),
        "ask_time": ("{doctor} has these free times on {day}: {slots}. Which time suits you?",
                     "{doctor}在 {day} 还有这些空闲时间：{slots}。请问您选哪个时间？"),
        "day_full": ("{doctor} has no free time left on {day}. Please choose another day.",
                     "{doctor}在 {day} 已经约满了，请选择其他日期。"),
        "taken": ("Sorry, {time} on {day} with {doctor} is already taken. The nearest free times that day are "
                  "{slots}. Which would you like?",
                  "抱歉，{doctor} {day} {time} 已经被预约了。当天最近的空闲时间有：{slots}。请问您选哪个？"),
        "out_of_range": ("We can only book from {first} to {last}. Which day in that range would you like?",
                         "目前只能预约 {first} 至 {last} 之间的日期，请在这个范围内选择一天。"),
        "closed_day": ("{doctor} doesn't see patients on {day} ({weekday}): we're open Monday to Friday 08:00 to 18:00, "
                       "and Saturday 09:00 to 13:00 for general practice only. Which other day would you like?",
                       "{doctor}在 {day}（{weekday}）不出诊：本诊所周一至周五 8:00–18:00 开放，周六 9:00–13:00 仅限全科。"
                       "请另选一天。"),
        "closed_hour": ("{time} is outside our opening hours on {day}. Free times that day: {slots}.",
                        "{time} 不在 {day} 的开放时间内。当天的空闲时间有：{slots}。"),
        "not_a_slot": ("Appointments start on the hour or the half hour. Free times near {time} on {day}: {slots}.",
                       "预约时间为整点或半点。{day} {time} 附近的空闲时间有：{slots}。"),
        "own_clash": ("You already have appointment #{appointment_id} on {day} at {time}. Which other time would you "
                      "like?", "您在 {day} {time} 已经有预约 #{appointment_id}。请问换哪个时间？"),
        "own_clash_free": ("You already have appointment #{appointment_id} on {day} at {time}. Times that day when "
                           "both you and {doctor} are free: {slots}. Which would you like?",
                           "您在 {day} {time} 已经有预约 #{appointment_id}。当天您和{doctor}都有空的时间：{slots}。请问选哪个？"),
        "confirm_book": ("Please confirm: an appointment with {doctor} ({department}) on {day} at {time}. "
                         "Shall I book it? (yes/no)",
                         "请确认：预约{doctor}（{department}），时间 {day} {time}。确认预约吗？（是/否）"),
        "booked": ("Done: you're booked with {doctor} on {day} at {time} (appointment #{appointment_id}). Please "
                   "arrive 10 minutes early and bring your insurance card.",
                   "已完成：已为您预约{doctor}，时间 {day} {time}（预约号 #{appointment_id}）。请提前 10 分钟到达，"
                   "并携带医保卡或保险卡。"),
        "no_appointments": ("You have no upcoming appointments.", "您目前没有待就诊的预约。"),
        "your_appointments": ("Your upcoming appointments:\n{lines}", "您的预约：\n{lines}"),
        "ask_which": ("Which appointment do you mean?\n{lines}", "请问是哪一个预约？\n{lines}"),
        "not_yours": ("I can't find appointment #{given} among your upcoming appointments:\n{lines}",
                      "在您的预约中找不到 #{given}。您的预约：\n{lines}"),
        "ask_new_time": ("When would you like to move {appointment} to? Tell me a day and a time.",
                         "请问您想把{appointment}改到什么时候？请告诉我日期和时间。"),
        "confirm_move": ("Please confirm: move {appointment} to {day} at {time}. Shall I go ahead? (yes/no)",
                         "请确认：将{appointment}改到 {day} {time}。确认改约吗？（是/否）"),
        "moved": ("Done: your appointment #{appointment_id} with {doctor} is now on {day} at {time}.",
                  "已完成：您与{doctor}的预约 #{appointment_id} 已改到 {day} {time}。"),
        "confirm_cancel": ("Please confirm: cancel {appointment}. Shall I go ahead? (yes/no)",
                           "请确认：取消{appointment}。确认取消吗？（是/否）"),
        "cancelled": ("Done: {appointment} is cancelled. The time is free for other patients now.",
                      "已完成：{appointment}已取消，该时段已释放给其他患者。"),
    }

    def __init__(self, db: ClinicDatabase):
        super().__init__(db)
        self._doctors = db.doctors()
        self._departments = {d["department_id"]: d for d in db.departments()}

    def verify(self, t, identity):
        patient, _ = self.call(t, "verify_patient", patient_id=identity["patient_id"],
                               birth_date=identity["birth_date"])
        return (patient["patient_id"], patient["first_name"]) if patient else None

    def fills(self, awaiting, text, sig, state):
        if awaiting in ("when", "time", "new_time"):
            return bool(read_dates(text, CALENDAR_YEAR) or read_time(text))
        if awaiting == "department":
            return bool(self._named_doctor(text) or self._named_department(text))
        if awaiting == "which":
            return bool(_APPOINTMENT_ID.search(text) or read_dates(text, CALENDAR_YEAR) or self._named_doctor(text))
        return False

    # -- wording -----------------------------------------------------------------------------------------------
    def _doctor_text(self, doctor_id: str, lang: str) -> str:
        doctor = next(d for d in self._doctors if d["doctor_id"] == doctor_id)
        return f"{doctor['name_zh']}医生" if lang == "zh" else doctor["name"]

    def _department_text(self, department_id: str, lang: str) -> str:
        department = self._departments[department_id]
        return department["name_zh"] if lang == "zh" else department["name_en"]

    RECORDS_TITLE = ("Upcoming appointments", "即将到来的预约")

    def customer_records(self, customer_id: str, language: str = "en") -> list[dict]:
        return [{"id": f"#{a['appointment_id']}",
                 "status": f"{a['day']} {a['time']} · " + (f"{a['doctor_zh']}医生" if language == "zh" else a["doctor"])}
                for a in self.db.appointments_of(customer_id)]

    def _appointment_text(self, a: dict, lang: str) -> str:
        if lang == "zh":
            return f"预约 #{a['appointment_id']}：{a['day']} {a['time']}，{a['doctor_zh']}医生（{a['department_zh']}）"
        return f"appointment #{a['appointment_id']} on {a['day']} at {a['time']} with {a['doctor']} ({a['department']})"

    @staticmethod
    def _weekday(day: str, lang: str) -> str:
        weekday = date.fromisoformat(day).weekday()
        return "星期" + _WEEKDAY_ZH[weekday] if lang == "zh" else date.fromisoformat(day).strftime("%A")

    def _named_doctor(self, text: str) -> str | None:
        for d in self._doctors:
            last = d["name"].split()[-1]
            if re.search(r"\b" + re.escape(last) + r"\b", text, re.I) or d["name_zh"] in text:
                return d["doctor_id"]
        return None

    @staticmethod
    def _named_department(text: str) -> str | None:
        return next((dep for dep, pattern in _DEPARTMENT_WORDS.items() if pattern.search(text)), None)

    def _list(self, items: list[str], lang: str) -> str:
        return ("、" if lang == "zh" else ", ").join(items)

    # -- booking -----------------------------------------------------------------------------------------------
    def _read_when(self, st, t, text: str) -> None:
        days = read_dates(text, CALENDAR_YEAR)
        time = read_time(text)
        if days and days[-1] != st.slots.get("day"):
            self.set_slot(st, t, "day", days[-1])
        if time and time != st.slots.get("time"):
            self.set_slot(st, t, "time", time)

    def _slot_problem(self, st, t, doctor_id: str, flow: str, lang: str):
        """The turn refusing the chosen day/time (closed, out of range, taken), or None when the slot is free."""
        day, time = st.slots["day"], st.slots["time"]
        doctor = self._doctor_text(doctor_id, lang)
        problem, _ = self.call(t, "opening_problem", doctor_id=doctor_id, day=day, time=time)
        if problem in ("out_of_range", "closed_day"):
            first, last = self.db.bookable_range()
            st.slots.pop("day", None)
            st.slots.pop("time", None)
            st.awaiting = "when"
            return t.done(st, flow, self.say(problem, lang, first=first, last=last, doctor=doctor, day=day,
                                             weekday=self._weekday(day, lang)), f"{day} is not bookable ({problem})")
        free = self.is_free(t, doctor_id, day, time) if problem is None else False
        if problem is None and free:
            clash, _ = self.call(t, "patient_busy", patient_id=st.user_id, day=day, time=time,
                                 moving=st.slots.get("appointment_id"))
            if not clash:
                return None
            st.slots.pop("time", None)
            st.awaiting = "time"
            slots, _ = self.call(t, "free_slots", doctor_id=doctor_id, day=day, near=time, limit=4,
                                 patient_id=st.user_id, moving=st.slots.get("appointment_id"))
            reply = self.say("own_clash_free" if slots else "own_clash", lang, appointment_id=clash, day=day, time=time,
                             doctor=doctor, slots=self._list(slots, lang))
            return t.done(st, flow, reply, f"the patient already has #{clash} at {day} {time}; offered "
                                           f"{len(slots)} times free for both")
        slots, _ = self.call(t, "free_slots", doctor_id=doctor_id, day=day, near=time, limit=4,
                             patient_id=st.user_id, moving=st.slots.get("appointment_id"))
        st.slots.pop("time", None)
        st.awaiting = "time"
        if not slots:
            st.slots.pop("day", None)
            st.awaiting = "when"
            return t.done(st, flow, self.say("day_full", lang, doctor=doctor, day=day), f"{day} is full")
        key = problem or "taken"
        return t.done(st, flow, self.say(key, lang, doctor=doctor, day=day, time=time, slots=self._list(slots, lang)),
                      f"{day} {time} refused ({key}); offered {len(slots)} free times")

    def is_free(self, t, doctor_id: str, day: str, time: str) -> bool:
        free, _ = self.call(t, "is_free", doctor_id=doctor_id, day=day, time=time)
        return bool(free)

    def flow_book(self, text, sig, st, t):
        lang = t.language
        words = st.slots.get("said", "") if t.prefix else text  # the identity turn adds no booking details
        named = self._named_doctor(words)
        if named:
            self.set_slot(st, t, "doctor_id", named)
            st.slots.pop("department", None)
        elif not st.slots.get("doctor_id"):
            department = self._named_department(words)
            if department:
                self.set_slot(st, t, "department", department)
        self._read_when(st, t, words)
        doctor_id = st.slots.get("doctor_id")
        department = st.slots.get("department")
        if not doctor_id and department:
            candidates = [d["doctor_id"] for d in self._doctors if d["department_id"] == department]
            if st.slots.get("day") and st.slots.get("time"):
                free = [d for d in candidates if self.db.opening_problem(d, st.slots["day"], st.slots["time"]) is None
                        and self.is_free(t, d, st.slots["day"], st.slots["time"])]
                doctor_id = (free or candidates)[0]
            else:
                doctor_id = candidates[0]
            self.set_slot(st, t, "doctor_id", doctor_id)
        if not doctor_id:
            st.awaiting = "department"
            listing = self._list([f"{self._department_text(d['department_id'], lang)}（{self._doctor_text(d['doctor_id'], lang)}）"
                                  if lang == "zh" else
                                  f"{self._department_text(d['department_id'], lang)} ({self._doctor_text(d['doctor_id'], lang)})"
                                  for d in self._doctors], lang)
            return t.done(st, "book", self.say("ask_department", lang, departments=listing), "need the department")
        doctor = self._doctor_text(doctor_id, lang)
        if not st.slots.get("day"):
            first, last = self.db.bookable_range()
            st.awaiting = "when"
            return t.done(st, "book", self.say("ask_day", lang, doctor=doctor, first=first, last=last), "need the day")
        if not st.slots.get("time"):
            problem = self.db.opening_problem(doctor_id, st.slots["day"], "10:00")
            if problem in ("out_of_range", "closed_day"):
                st.slots["time"] = "10:00"
                return self._slot_problem(st, t, doctor_id, "book", lang)
            slots, _ = self.call(t, "free_slots", doctor_id=doctor_id, day=st.slots["day"], limit=8,
                                 patient_id=st.user_id)
            st.awaiting = "time"
            if not slots:
                st.slots.pop("day", None)
                st.awaiting = "when"
                return t.done(st, "book", self.say("day_full", lang, doctor=doctor, day=st.slots.get("day", "")),
                              "day is full")
            return t.done(st, "book", self.say("ask_time", lang, doctor=doctor, day=st.slots["day"],
                                               slots=self._list(slots, lang)), "need the time")
        stop = self._slot_problem(st, t, doctor_id, "book", lang)
        if stop is not None:
            return stop
        day, time = st.slots["day"], st.slots["time"]
        department_id = next(d["department_id"] for d in self._doctors if d["doctor_id"] == doctor_id)
        question = self.say("confirm_book", lang, doctor=doctor, department=self._department_text(department_id, lang),
                            day=day, time=time)
        stop = self.confirm(st, sig, t, ["book", doctor_id, day, time], question)
        if stop is not None:
            return stop
        result, error = self.call(t, "book", patient_id=st.user_id, doctor_id=doctor_id, day=day, time=time)
        reply = self.say("booked", lang, doctor=doctor, day=day, time=time,
                         appointment_id=(result or {}).get("appointment_id"))
        return self.finish_write(st, t, result, error, reply, f"booked {doctor_id} {day} {time}")

    # -- the patient's appointments ----------------------------------------------------------------------------
    def _pick_appointment(self, st, t, text: str, flow: str):
        """The patient's appointment the text names (or the only one); else the turn asking which."""
        lang = t.language
        own, _ = self.call(t, "appointments_of", patient_id=st.user_id)
        lines = "\n".join("- " + self._appointment_text(a, lang) for a in own)
        if not own:
            st.end_flow()
            return t.done(st, flow, self.say("no_appointments", lang), "no upcoming appointments")
        chosen = st.slots.get("appointment_id")
        if chosen is None:
            ids = [int(m) for m in _APPOINTMENT_ID.findall(text)]
            if ids:
                match = [a for a in own if a["appointment_id"] == ids[0]]
                if not match:
                    st.awaiting = "which"
                    return t.done(st, flow, self.say("not_yours", lang, given=ids[0], lines=lines),
                                  "appointment is not the verified patient's")
                chosen = ids[0]
            else:
                days = [d for d in read_dates(text, CALENDAR_YEAR) if d in {a["day"] for a in own}]
                doctor = self._named_doctor(text)
                department = self._named_department(text)
                doctors = {d["doctor_id"] for d in self._doctors if d["department_id"] == department}
                match = [a for a in own if (not days or a["day"] in days) and (not doctor or a["doctor_id"] == doctor)
                         and (not department or a["doctor_id"] in doctors)]
                if (days or doctor or department) and len(match) == 1:
                    chosen = match[0]["appointment_id"]
                elif len(own) == 1:
                    chosen = own[0]["appointment_id"]
            if chosen is None:
                st.awaiting = "which"
                return t.done(st, flow, self.say("ask_which", lang, lines=lines), "need the appointment")
            self.set_slot(st, t, "appointment_id", chosen)
        return next(a for a in own if a["appointment_id"] == chosen)

    def flow_my_appointments(self, text, sig, st, t):
        own, _ = self.call(t, "appointments_of", patient_id=st.user_id)
        st.end_flow()
        if not own:
            return t.done(st, "my_appointments", self.say("no_appointments", t.language), "no upcoming appointments")
        lines = "\n".join("- " + self._appointment_text(a, t.language) for a in own)
        return t.done(st, "my_appointments", self.say("your_appointments", t.language, lines=lines),
                      f"listed {len(own)} appointments to their patient")

    def flow_cancel_appointment(self, text, sig, st, t):
        lang = t.language
        words = st.slots.get("said", "") if t.prefix else text
        appointment = self._pick_appointment(st, t, words, "cancel_appointment")
        if not isinstance(appointment, dict):
            return appointment
        described = self._appointment_text(appointment, lang)
        stop = self.confirm(st, sig, t, ["cancel", appointment["appointment_id"]],
                            self.say("confirm_cancel", lang, appointment=described))
        if stop is not None:
            return stop
        result, error = self.call(t, "cancel", patient_id=st.user_id, appointment_id=appointment["appointment_id"])
        return self.finish_write(st, t, result, error, self.say("cancelled", lang, appointment=described),
                                 f"cancelled appointment #{appointment['appointment_id']}")

    def flow_reschedule(self, text, sig, st, t):
        lang = t.language
        words = st.slots.get("said", "") if t.prefix else text
        if st.slots.get("appointment_id") is None:
            appointment = self._pick_appointment(st, t, words, "reschedule")
            if not isinstance(appointment, dict):
                return appointment
            # "move my Jan 14 appointment to Jan 15 at 10": the date of the appointment is not the new date
            new_days = [d for d in read_dates(words, CALENDAR_YEAR) if d != appointment["day"]]
            if new_days:
                self.set_slot(st, t, "day", new_days[-1])
            time = read_time(words)
            if time and (new_days or not read_dates(words, CALENDAR_YEAR)):
                self.set_slot(st, t, "time", time)
        else:
            appointment = self._pick_appointment(st, t, words, "reschedule")
            if not isinstance(appointment, dict):
                return appointment
            if st.awaiting != "confirm" or read_dates(text, CALENDAR_YEAR) or read_time(text):
                self._read_when(st, t, text)
        described = self._appointment_text(appointment, lang)
        if not (st.slots.get("day") and st.slots.get("time")):
            if st.slots.get("day") and not st.slots.get("time"):
                slots, _ = self.call(t, "free_slots", doctor_id=appointment["doctor_id"], day=st.slots["day"], limit=8,
                                     patient_id=st.user_id, moving=appointment["appointment_id"])
                st.awaiting = "time"
                return t.done(st, "reschedule", self.say("ask_time", lang,
                                                         doctor=self._doctor_text(appointment["doctor_id"], lang),
                                                         day=st.slots["day"], slots=self._list(slots, lang)),
                              "need the new time")
            st.awaiting = "new_time"
            return t.done(st, "reschedule", self.say("ask_new_time", lang, appointment=described), "need the new time")
        stop = self._slot_problem(st, t, appointment["doctor_id"], "reschedule", lang)
        if stop is not None:
            return stop
        day, time = st.slots["day"], st.slots["time"]
        stop = self.confirm(st, sig, t, ["move", appointment["appointment_id"], day, time],
                            self.say("confirm_move", lang, appointment=described, day=day, time=time))
        if stop is not None:
            return stop
        result, error = self.call(t, "reschedule", patient_id=st.user_id,
                                  appointment_id=appointment["appointment_id"], day=day, time=time)
        reply = self.say("moved", lang, appointment_id=appointment["appointment_id"],
                         doctor=self._doctor_text(appointment["doctor_id"], lang), day=day, time=time)
        return self.finish_write(st, t, result, error, reply, f"moved #{appointment['appointment_id']} to {day} {time}")


def build_desk(workspace_dir: Path, data_dir: Path) -> ClinicDesk:
    """The desk on its own SQLite file in the data dir (<workspace id>_desk.sqlite3: a copy of this workspace imported
    under another id keeps its own records), seeded from the workspace's data/ on first use."""
    return ClinicDesk(ClinicDatabase(Path(data_dir) / f"{Path(workspace_dir).name}_desk.sqlite3", Path(workspace_dir) / "data"))
