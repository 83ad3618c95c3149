"""SQLAlchemy 2 models of the learning repository.

One schema for SQLite (the default) and PostgreSQL (production); the Alembic migrations in
``migrations/versions`` create it, and the search tables that differ between the two (SQLite FTS5,
PostgreSQL ``tsvector``) are made there too. Times are stored in UTC.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    """Now, in UTC, without tzinfo (stored naive, read as UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


record_organisations = Table(
    "record_organisations", Base.metadata,
    Column("record_id", ForeignKey("learning_records.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)
"""Organisations involved in what the record is about (not who may see it)."""

record_shares = Table(
    "record_shares", Base.metadata,
    Column("record_id", ForeignKey("learning_records.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)
"""Organisations a restricted record is shared with (beside its owner)."""

record_themes = Table(
    "record_themes", Base.metadata,
    Column("record_id", ForeignKey("learning_records.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)

recommendation_themes = Table(
    "recommendation_themes", Base.metadata,
    Column("recommendation_id", ForeignKey("recommendations.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), default="other")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    role: Mapped[str] = mapped_column(String(20), default="reader")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")


class WebSession(Base):
    """A signed-in browser. Server-side, so signing out or disabling a user ends it at once."""
    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship(lazy="joined")


class LoginAttempt(Base):
    """Every attempt to sign in, for the rate limit (per address and per user name)."""
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    ip: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean, default=False)


class Theme(Base):
    """A theme of the shipped taxonomy (``taxonomy.yaml``), editable by administrators."""
    __tablename__ = "themes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LearningRecord(Base):
    __tablename__ = "learning_records"
    __table_args__ = (
        # the restricted records by owner: what access.hidden_record_ids reads (migration 0003)
        Index("ix_learning_records_restricted_owner", "owner_organisation_id", "id",
              postgresql_where=text("restricted"), sqlite_where=text("restricted = 1")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(300))
    record_date: Mapped[dt.date] = mapped_column(Date, index=True)
    incident_date: Mapped[dt.date | None] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(20), default="initial")
    summary: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="")
    confidentiality: Mapped[str] = mapped_column(String(40), default="official_sensitive")
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    owner_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    review_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    retain_until: Mapped[dt.date | None] = mapped_column(Date)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    case_ids: Mapped[list] = mapped_column(JSON, default=list)

    owner_organisation: Mapped[Organisation] = relationship(foreign_keys=[owner_organisation_id], lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    organisations: Mapped[list[Organisation]] = relationship(secondary=record_organisations)
    shared_with: Mapped[list[Organisation]] = relationship(secondary=record_shares)
    themes: Mapped[list[Theme]] = relationship(secondary=record_themes)
    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="record", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Recommendation.id")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="record", cascade="all, delete-orphan", passive_deletes=True,
        foreign_keys="Attachment.record_id", order_by="Attachment.id")

    @property
    def documents(self) -> list[Attachment]:
        """The record's own documents (not evidence attached to a recommendation)."""
        return [a for a in self.attachments if a.recommendation_id is None]


class Recommendation(Base):
    __tablename__ = "recommendations"
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("learning_records.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(Text)
    owner_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    not_accepted_reason: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    implemented_at: Mapped[dt.date | None] = mapped_column(Date)
    verified_at: Mapped[dt.date | None] = mapped_column(Date)

    record: Mapped[LearningRecord] = relationship(back_populates="recommendations")
    owner_organisation: Mapped[Organisation] = relationship(lazy="joined")
    owner_user: Mapped[User | None] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=recommendation_themes)
    events: Mapped[list[RecommendationEvent]] = relationship(
        back_populates="recommendation", cascade="all, delete-orphan", passive_deletes=True,
        order_by="RecommendationEvent.id")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="recommendation", cascade="all, delete-orphan", passive_deletes=True,
        foreign_keys="Attachment.recommendation_id", order_by="Attachment.id")


class RecommendationEvent(Base):
    """One change to a recommendation: which field, from what, to what, by whom, when."""
    __tablename__ = "recommendation_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(100), default="")
    field: Mapped[str] = mapped_column(String(40))
    old: Mapped[str] = mapped_column(Text, default="")
    new: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")

    recommendation: Mapped[Recommendation] = relationship(back_populates="events")


class Attachment(Base):
    """A document attached to a record, or evidence attached to one of its recommendations.

    The bytes are kept in the database (one backup holds everything) and only ever served as a
    download (``Content-Disposition: attachment``); ``text`` is what was extracted for search.
    """
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("learning_records.id", ondelete="CASCADE"), index=True)
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    text: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    record: Mapped[LearningRecord] = relationship(back_populates="attachments", foreign_keys=[record_id])
    recommendation: Mapped[Recommendation | None] = relationship(back_populates="attachments",
                                                                 foreign_keys=[recommendation_id])


class RecordEmbedding(Base):
    """A record's sentence embedding (float32 bytes), for semantic search and similar records."""
    __tablename__ = "record_embeddings"
    record_id: Mapped[int] = mapped_column(
        ForeignKey("learning_records.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(100))
    text_hash: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """One line of the audit log (Data Protection Act 2018 s.62). Append-only: the migrations add
    database triggers that refuse UPDATE and DELETE on this table."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: survives the user
    username: Mapped[str] = mapped_column(String(100), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(40), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    query: Mapped[str] = mapped_column(Text, default="")
    justification: Mapped[str] = mapped_column(Text, default="")


class OutboxMessage(Base):
    """A message waiting to be sent (the weekly overdue digest); no mail server needed."""
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40), default="digest")
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


Index("ix_recommendations_status_due", Recommendation.status, Recommendation.due_date)
