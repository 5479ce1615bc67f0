"""The clinic workspace's records (Riverside Family Clinic, written for kefu): patients, departments, doctors and a
calendar of appointments in the workspace's own SQLite file, seeded from assets/workspaces/clinic/data/seed.json.

The calendar is real: a doctor has one appointment per half-hour slot inside the clinic's hours, so a taken slot is
refused (with the nearest free ones) and two bookings can never hold the same slot: a unique index refuses the
second one even when two conversations race for it. No reason for a visit is stored: health details
stay out of the records the desk writes. Every personal read or write takes the patient's id and touches only that
patient's appointments.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from components.workspaces.desks.seeded_database import SeededDatabase

SLOT_MINUTES = 30
# opening hours per weekday (0 = Monday): (first slot, end of the day); Saturday mornings are general practice only
HOURS = {0: ("08:00", "18:00"), 1: ("08:00", "18:00"), 2: ("08:00", "18:00"), 3: ("08:00", "18:00"),
         4: ("08:00", "18:00"), 5: ("09:00", "13:00")}
SATURDAY_DEPARTMENTS = ("general",)


class ClinicDatabase(SeededDatabase):
    SCHEMA = """
    CREATE TABLE IF NOT EXISTS patients (
        patient_id TEXT PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, birth_date TEXT NOT NULL,
        phone TEXT NOT NULL, insurance TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS departments (department_id TEXT PRIMARY KEY, name_en TEXT NOT NULL,
        name_zh TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS doctors (doctor_id TEXT PRIMARY KEY, name TEXT NOT NULL, name_zh TEXT NOT NULL,
        department_id TEXT NOT NULL REFERENCES departments(department_id));
    CREATE TABLE IF NOT EXISTS calendar (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS appointments (
        appointment_id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        doctor_id TEXT NOT NULL REFERENCES doctors(doctor_id), day TEXT NOT NULL, time TEXT NOT NULL,
        status TEXT NOT NULL);
    CREATE UNIQUE INDEX IF NOT EXISTS appointments_slot ON appointments (doctor_id, day, time)
        WHERE status = 'booked';
    CREATE INDEX IF NOT EXISTS appointments_patient ON appointments (patient_id);
    """

    # -- public ------------------------------------------------------------------------------------------------
    def verify_patient(self, patient_id: str, birth_date: str) -> dict | None:
        return self.row("SELECT patient_id, first_name, last_name FROM patients WHERE patient_id = ? AND "
                        "birth_date = ?", patient_id.upper(), birth_date)

    def departments(self) -> list[dict]:
        return self.rows("SELECT department_id, name_en, name_zh FROM departments ORDER BY department_id")

    def doctors(self, department_id: str | None = None) -> list[dict]:
        if department_id:
            return self.rows("SELECT doctor_id, name, name_zh, department_id FROM doctors WHERE department_id = ? "
                             "ORDER BY doctor_id", department_id)
        return self.rows("SELECT doctor_id, name, name_zh, department_id FROM doctors ORDER BY doctor_id")

    def bookable_range(self) -> tuple[str, str]:
        values = {r["key"]: r["value"] for r in self.rows("SELECT key, value FROM calendar")}
        return values["first_day"], values["last_day"]

    def opening_problem(self, doctor_id: str, day: str, time: str) -> str | None:
        """Why (doctor, day, time) is not a slot of the calendar, or None when it is one."""
        first, last = self.bookable_range()
        if not first <= day <= last:
            return "out_of_range"
        weekday = date.fromisoformat(day).weekday()
        if weekday not in HOURS:
            return "closed_day"
        doctor = self.row("SELECT department_id FROM doctors WHERE doctor_id = ?", doctor_id)
        if weekday == 5 and (doctor is None or doctor["department_id"] not in SATURDAY_DEPARTMENTS):
            return "closed_day"
        start, end = HOURS[weekday]
        minutes = int(time[:2]) * 60 + int(time[3:])
        if not (start <= time < end):
            return "closed_hour"
        if minutes % SLOT_MINUTES:
            return "not_a_slot"
        return None

    def is_free(self, doctor_id: str, day: str, time: str) -> bool:
        return self.row("SELECT 1 FROM appointments WHERE doctor_id = ? AND day = ? AND time = ? AND "
                        "status = 'booked'", doctor_id, day, time) is None

    def free_slots(self, doctor_id: str, day: str, near: str | None = None, limit: int = 4,
                   patient_id: str | None = None, moving: int | None = None) -> list[str]:
        """Free slots of the doctor that day, nearest to `near` first (then in time order); with `patient_id`, only
        those the patient is free at too (their own other appointments, apart from the one `moving`)."""
        weekday = date.fromisoformat(day).weekday()
        if weekday not in HOURS:
            return []
        start, end = HOURS[weekday]
        slots, t = [], datetime.strptime(start, "%H:%M")
        while t.strftime("%H:%M") < end:
            slot = t.strftime("%H:%M")
            if self.opening_problem(doctor_id, day, slot) is None and self.is_free(doctor_id, day, slot) and \
                    not (patient_id and self.patient_busy(patient_id, day, slot, moving)):
                slots.append(slot)
            t += timedelta(minutes=SLOT_MINUTES)
        if near:
            at = int(near[:2]) * 60 + int(near[3:])
            slots.sort(key=lambda s: (abs(int(s[:2]) * 60 + int(s[3:]) - at), s))
            return sorted(slots[:limit])
        return slots[:limit]

    # -- personal ----------------------------------------------------------------------------------------------
    def appointments_of(self, patient_id: str) -> list[dict]:
        return self.rows(
            "SELECT a.appointment_id, a.day, a.time, a.status, d.doctor_id, d.name AS doctor, d.name_zh AS doctor_zh, "
            "p.name_en AS department, p.name_zh AS department_zh FROM appointments a JOIN doctors d ON "
            "d.doctor_id = a.doctor_id JOIN departments p ON p.department_id = d.department_id WHERE a.patient_id = ? "
            "AND a.status = 'booked' ORDER BY a.day, a.time", patient_id.upper())

    def patient_busy(self, patient_id: str, day: str, time: str, moving: int | None = None) -> int | None:
        """The id of the patient's own other appointment at that time, if any."""
        clash = self.row("SELECT appointment_id FROM appointments WHERE patient_id = ? AND day = ? AND time = ? AND "
                         "status = 'booked' AND appointment_id != ?", patient_id.upper(), day, time, moving or -1)
        return clash["appointment_id"] if clash else None

    def _check_slot(self, patient_id: str, doctor_id: str, day: str, time: str, moving: int | None = None) -> None:
        problem = self.opening_problem(doctor_id, day, time)
        if problem:
            raise ValueError(f"{day} {time} is not an opening of the calendar ({problem.replace('_', ' ')}).")
        if not self.is_free(doctor_id, day, time):
            raise ValueError(f"{day} {time} was just taken; please choose another time.")
        clash = self.patient_busy(patient_id, day, time, moving)
        if clash:
            raise ValueError(f"you already have appointment #{clash} at {day} {time}.")

    def book(self, patient_id: str, doctor_id: str, day: str, time: str) -> dict:
        patient_id = patient_id.upper()
        self._check_slot(patient_id, doctor_id, day, time)
        try:
            new_id = self.write("book_appointment", {"patient_id": patient_id, "doctor_id": doctor_id, "day": day,
                                                     "time": time},
                                [("INSERT INTO appointments (patient_id, doctor_id, day, time, status) VALUES "
                                  "(?, ?, ?, ?, 'booked')", (patient_id, doctor_id, day, time))])
        except Exception as exc:  # the unique index: someone took the slot between the check and the insert
            if "UNIQUE" in str(exc):
                raise ValueError(f"{day} {time} was just taken; please choose another time.") from exc
            raise
        return {"appointment_id": new_id, "doctor_id": doctor_id, "day": day, "time": time, "status": "booked"}

    def _own(self, patient_id: str, appointment_id: int) -> dict:
        found = self.row("SELECT appointment_id, doctor_id, day, time FROM appointments WHERE appointment_id = ? AND "
                         "patient_id = ? AND status = 'booked'", int(appointment_id), patient_id.upper())
        if found is None:
            raise ValueError(f"there is no upcoming appointment #{appointment_id} for you.")
        return found

    def reschedule(self, patient_id: str, appointment_id: int, day: str, time: str) -> dict:
        current = self._own(patient_id, appointment_id)
        self._check_slot(patient_id.upper(), current["doctor_id"], day, time, moving=int(appointment_id))
        try:
            self.write("reschedule_appointment", {"patient_id": patient_id.upper(), "appointment_id": appointment_id,
                                                  "day": day, "time": time},
                       [("UPDATE appointments SET day = ?, time = ? WHERE appointment_id = ?",
                         (day, time, int(appointment_id)))])
        except Exception as exc:
            if "UNIQUE" in str(exc):
                raise ValueError(f"{day} {time} was just taken; please choose another time.") from exc
            raise
        return {**current, "day": day, "time": time, "status": "booked"}

    def cancel(self, patient_id: str, appointment_id: int) -> dict:
        current = self._own(patient_id, appointment_id)
        self.write("cancel_appointment", {"patient_id": patient_id.upper(), "appointment_id": appointment_id},
                   [("UPDATE appointments SET status = 'cancelled' WHERE appointment_id = ?", (int(appointment_id),))])
        return {**current, "status": "cancelled"}
