"""The tables, as typed SQLAlchemy models. Times are UTC, stored without a zone on both backends.

A decision is one answer kaohe gave under one decision id: one teacher (the API's single-teacher
path), one request of schools (POST /v1/evaluations), or one school of a batch. Its subjects (each
teacher, school and region it judged) are rows of their own, so an appeal finds a teacher's
decisions by the teacher's id. The policy that decided is kept once, content-addressed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class PolicyText(Base):
    """A ruleset file or a catalogue, by the sha256 of its text: stored once however often it decides."""

    __tablename__ = "policy_texts"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # ruleset | catalogue
    name: Mapped[str] = mapped_column(String(500))  # the file it was read from, or the catalogue namespace
    content: Mapped[str] = mapped_column(Text)


class Policy(Base):
    """One revision as it decided: its ruleset file, the files it extends, the catalogues it read."""

    __tablename__ = "policies"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)  # of the manifest
    ruleset_id: Mapped[str] = mapped_column(String(100), index=True)
    revision: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[str] = mapped_column(Text)  # JSON: texts (kind, name, sha256) in load order, primitives named
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime)


class BatchRun(Base):
    __tablename__ = "batch_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    ruleset_id: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(1000))
    decisions: Mapped[int] = mapped_column(Integer, default=0)


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime)
    caller: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the API key's name; None: anonymous or CLI
    kind: Mapped[str] = mapped_column(String(16))  # teacher | dataset | school
    ruleset_id: Mapped[str] = mapped_column(String(100))
    revision: Mapped[str] = mapped_column(String(64))
    policy_sha256: Mapped[str] = mapped_column(ForeignKey("policies.sha256"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    kaohe_version: Mapped[str] = mapped_column(String(40))
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batch_runs.id"), nullable=True)
    verdict: Mapped[str] = mapped_column(String(16))  # the teacher's, the school's; of several schools the worst
    # zlib-compressed JSON (a decision is a few KB of very repetitive text: a tenth of it is kept)
    input: Mapped[bytes] = mapped_column(LargeBinary)  # the request as evaluated; ID-card numbers masked
    result: Mapped[bytes] = mapped_column(LargeBinary)  # each subject's verdict and every rule's outcome

    __table_args__ = (Index("ix_decisions_time", "decided_at", "id"),
                      Index("ix_decisions_batch_id", "batch_id", sqlite_where=text("batch_id IS NOT NULL"),
                            postgresql_where=text("batch_id IS NOT NULL")))


class Subject(Base):
    """Who a decision judged: a teacher, a school or a region, with its verdict."""

    __tablename__ = "decision_subjects"

    # no foreign key (see the migration): written and purged with its decision, in one transaction
    decision_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(200), index=True)
    school_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    verdict: Mapped[str] = mapped_column(String(16))
