"""The school workspace's records (Maple Ridge University, written for kefu): the course catalogue, the academic
calendar, students, enrollments, tuition accounts and transcript requests, in the workspace's own SQLite file
seeded from assets/workspaces/school/data/seed.json.

The catalogue and the calendar are public. Everything about a student takes that student's id and reads or writes
only that student's rows. An official transcript is refused while the student's record has a hold.
"""
from __future__ import annotations

import time

from components.workspaces.desks.seeded_database import SeededDatabase

TRANSCRIPT_FEES = {"official": 10.0, "unofficial": 0.0}
DELIVERIES = ("email", "post")


class SchoolDatabase(SeededDatabase):
    SCHEMA = """
    CREATE TABLE IF NOT EXISTS courses (
        code TEXT PRIMARY KEY, title_en TEXT NOT NULL, title_zh TEXT NOT NULL, department TEXT NOT NULL,
        credits INTEGER NOT NULL, term TEXT NOT NULL, days TEXT NOT NULL, hours TEXT NOT NULL, room TEXT NOT NULL,
        instructor TEXT NOT NULL, seats INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS deadlines (
        term TEXT NOT NULL, day TEXT NOT NULL, what_en TEXT NOT NULL, what_zh TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS students (
        student_id TEXT PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, birth_date TEXT NOT NULL,
        program TEXT NOT NULL, email TEXT NOT NULL, hold TEXT);
    CREATE TABLE IF NOT EXISTS enrollments (
        student_id TEXT NOT NULL REFERENCES students(student_id), code TEXT NOT NULL REFERENCES courses(code),
        term TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (student_id, code, term));
    CREATE TABLE IF NOT EXISTS tuition (
        student_id TEXT NOT NULL REFERENCES students(student_id), term TEXT NOT NULL, charged REAL NOT NULL,
        paid REAL NOT NULL, due_day TEXT NOT NULL, PRIMARY KEY (student_id, term));
    CREATE TABLE IF NOT EXISTS transcript_requests (
        request_id INTEGER PRIMARY KEY AUTOINCREMENT, student_id TEXT NOT NULL REFERENCES students(student_id),
        kind TEXT NOT NULL, delivery TEXT NOT NULL, fee REAL NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL);
    """

    # -- public ------------------------------------------------------------------------------------------------
    def courses(self, department: str | None = None, code: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM courses", []
        if code:
            sql, args = sql + " WHERE code = ?", [code.upper().replace(" ", "")]
        elif department:
            sql, args = sql + " WHERE department = ?", [department]
        return self.rows(sql + " ORDER BY code", *args)

    def deadlines(self, term: str | None = None) -> list[dict]:
        if term:
            return self.rows("SELECT term, day, what_en, what_zh FROM deadlines WHERE term = ? ORDER BY day", term)
        return self.rows("SELECT term, day, what_en, what_zh FROM deadlines ORDER BY day")

    # -- personal ----------------------------------------------------------------------------------------------
    def verify_student(self, student_id: str, birth_date: str) -> dict | None:
        return self.row("SELECT student_id, first_name, last_name FROM students WHERE student_id = ? AND "
                        "birth_date = ?", student_id.upper(), birth_date)

    def student(self, student_id: str) -> dict | None:
        return self.row("SELECT student_id, first_name, last_name, program, email, hold FROM students WHERE "
                        "student_id = ?", student_id.upper())

    def enrollments_of(self, student_id: str) -> list[dict]:
        return self.rows("SELECT e.code, e.term, e.status, c.title_en, c.title_zh, c.days, c.hours, c.room "
                         "FROM enrollments e JOIN courses c ON c.code = e.code WHERE e.student_id = ? "
                         "ORDER BY e.term, e.code", student_id.upper())

    def tuition_of(self, student_id: str) -> list[dict]:
        return [{**r, "balance": round(r["charged"] - r["paid"], 2)}
                for r in self.rows("SELECT term, charged, paid, due_day FROM tuition WHERE student_id = ? "
                                   "ORDER BY due_day", student_id.upper())]

    def transcript_requests_of(self, student_id: str) -> list[dict]:
        return self.rows("SELECT request_id, kind, delivery, fee, status FROM transcript_requests WHERE "
                         "student_id = ? ORDER BY request_id", student_id.upper())

    def request_transcript(self, student_id: str, kind: str, delivery: str) -> dict:
        if kind not in TRANSCRIPT_FEES:
            raise ValueError(f"a transcript is either official or unofficial, not {kind!r}.")
        if delivery not in DELIVERIES:
            raise ValueError(f"a transcript is sent by email or by post, not {delivery!r}.")
        if kind == "unofficial" and delivery != "email":
            raise ValueError("unofficial transcripts are only sent by email.")
        student = self.student(student_id)
        if student is None:
            raise ValueError("there is no such student.")
        if kind == "official" and student["hold"]:
            raise ValueError(f"there is a {student['hold']} hold on your record, so an official transcript can't be "
                             "issued until it is cleared.")
        fee = TRANSCRIPT_FEES[kind]
        request_id = self.write("request_transcript", {"student_id": student["student_id"], "kind": kind,
                                                       "delivery": delivery},
                                [("INSERT INTO transcript_requests (student_id, kind, delivery, fee, status, "
                                  "created_at) VALUES (?, ?, ?, ?, 'requested', ?)",
                                  (student["student_id"], kind, delivery, fee, time.time()))])
        return {"request_id": request_id, "kind": kind, "delivery": delivery, "fee": fee, "status": "requested"}
