"""SQLAlchemy models of the PDP list, on the learning repository's ``Base`` (one database, one
Alembic chain: revision ``0002_pdp_list`` creates these tables).

- :class:`Proposal`: one row of an imported escalation ranking (``threadline escalation rank``):
  the ranking proposes, nothing more. A proposal is open until a person nominates or dismisses it.
- :class:`Nomination`: an entry of the list, from its nomination (with a rationale and the
  criteria met) through the reviewer's decision, reviews, to its removal (with a reason).
- :class:`PdpAction`: an action agreed for an entry, owned by an organisation (and a person).
- :class:`PdpEvent`: the history of every change to an entry: who, when, which field, old, new.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Date, DateTime, Float, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from threadline.learning.models import Base, Organisation, User, utcnow

pdp_shares = Table(
    "pdp_shares",
    Base.metadata,
    Column("nomination_id", ForeignKey("pdp_nominations.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)
"""Organisations an entry is shared with, beside its owning organisation."""


class Proposal(Base):
    """One row of an imported escalation ranking, seen only by the importing organisation."""

    __tablename__ = "pdp_proposals"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(String(40), index=True)
    source_file: Mapped[str] = mapped_column(String(255), default="")
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    rank: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[str] = mapped_column(String(100), index=True)
    score: Mapped[float] = mapped_column(Float)
    harm_90d: Mapped[float | None] = mapped_column(Float)
    incidents_90d: Mapped[int] = mapped_column(Integer, default=0)
    incidents_prev_270d: Mapped[int] = mapped_column(Integer, default=0)
    victims: Mapped[int] = mapped_column(Integer, default=0)
    escalation: Mapped[float | None] = mapped_column(Float)
    latest_incident_type: Mapped[str] = mapped_column(String(200), default="")
    reasons: Mapped[str] = mapped_column(Text, default="")
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    imported_by: Mapped[str] = mapped_column(String(100), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status_by: Mapped[str] = mapped_column(String(100), default="")
    status_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Nomination(Base):
    """An entry of the PDP list, from nomination to removal. ``person_id`` is the register's id;
    ``label`` an optional reference such as initials (no name is needed or asked for)."""

    __tablename__ = "pdp_nominations"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(String(100), index=True)
    label: Mapped[str] = mapped_column(String(40), default="")
    rationale: Mapped[str] = mapped_column(Text)
    criteria: Mapped[list] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual | proposal
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("pdp_proposals.id", ondelete="SET NULL"))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    owner_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="nominated", index=True)
    decision_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    review_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    removal_reason: Mapped[str] = mapped_column(Text, default="")
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    owner_organisation: Mapped[Organisation] = relationship(foreign_keys=[owner_organisation_id], lazy="joined")
    owner_user: Mapped[User | None] = relationship(foreign_keys=[owner_user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decision_by: Mapped[User | None] = relationship(foreign_keys=[decision_by_id])
    proposal: Mapped[Proposal | None] = relationship()
    shared_with: Mapped[list[Organisation]] = relationship(secondary=pdp_shares, order_by=Organisation.name)
    actions: Mapped[list[PdpAction]] = relationship(
        back_populates="nomination", cascade="all, delete-orphan", passive_deletes=True, order_by="PdpAction.id"
    )
    events: Mapped[list[PdpEvent]] = relationship(
        back_populates="nomination", cascade="all, delete-orphan", passive_deletes=True, order_by="PdpEvent.id"
    )


class PdpAction(Base):
    """An action agreed for an entry (a warning marker, a home visit, a referral), owned by an
    organisation and, when named, a person in it; open until done, with a note of what was done."""

    __tablename__ = "pdp_actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("pdp_nominations.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    done_note: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    nomination: Mapped[Nomination] = relationship(back_populates="actions")
    owner_organisation: Mapped[Organisation] = relationship(lazy="joined")
    owner_user: Mapped[User | None] = relationship(foreign_keys=[owner_user_id])


class PdpEvent(Base):
    """One change to an entry: which field, from what, to what, by whom, when (and a note)."""

    __tablename__ = "pdp_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("pdp_nominations.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(100), default="")
    field: Mapped[str] = mapped_column(String(40))
    old: Mapped[str] = mapped_column(Text, default="")
    new: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")

    nomination: Mapped[Nomination] = relationship(back_populates="events")
