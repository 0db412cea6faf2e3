"""Tables of the clinic app. The record and the Assessment are stored as the JSON the record
format and the engine define; the tables hold who, when and which version around them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # clinician | admin
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Patient(Base):
    """A patient's current native record. `version` counts saved changes (optimistic locking)."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    # the record's own patient.id: a local identifier, never a name
    local_id: Mapped[str] = mapped_column(String(100), unique=True)
    record_json: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's declarative attribute)


class StoredAssessment(Base):
    """An Assessment as the engine produced it, for one version of the record."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    record_version: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[dt.date] = mapped_column(Date)
    engine_version: Mapped[str] = mapped_column(String(40))
    kb_version: Mapped[str] = mapped_column(String(40))
    assessment_json: Mapped[str] = mapped_column(Text)
    # what the patient list shows, taken from assessment_json when stored (views.Summary), so
    # the list does not parse every patient's whole Assessment; null on rows stored before 0003
    summary_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class RecordVersion(Base):
    """A saved version of a patient's record (append-only): what changed, and who saved it."""

    __tablename__ = "record_versions"
    __table_args__ = (UniqueConstraint("patient_id", "version", name="uq_record_versions_patient_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    record_json: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    saved_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # the user's name, or "self-report" for a patient's answers through a link
    source: Mapped[str] = mapped_column(String(100))


class AuditEvent(Base):
    """Append-only (a database trigger refuses UPDATE and DELETE): who did what, to which
    patient, when, from where."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    username: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), nullable=True, index=True)
    detail: Mapped[str] = mapped_column(String(500), default="")
    client: Mapped[str] = mapped_column(String(100), default="")


class SelfReportLink(Base):
    """A single-use, expiring link a patient opens without an account. Only the token's hash
    is stored: the link itself is shown once, to the clinician who made it."""

    __tablename__ = "self_report_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    instrument: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LoginSession(Base):
    """A login: the cookie holds a random token, the table its hash. Logging out ends the row,
    so a copy of the cookie no longer works (a signed cookie alone would until it expires)."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
