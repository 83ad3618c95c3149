"""The potentially dangerous persons list (issue 9): proposals imported from the escalation
ranking, nominations (the list's entries) and the organisations they are shared with, their
actions and the history of every change. Explicit operations, the same on SQLite and PostgreSQL
(models in ``threadline.pdp.models``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _user_fk(name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([name], ["users.id"], ondelete="SET NULL")


def upgrade() -> None:
    op.create_table(
        "pdp_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=40), nullable=False),
        sa.Column("source_file", sa.String(length=255), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("harm_90d", sa.Float(), nullable=True),
        sa.Column("incidents_90d", sa.Integer(), nullable=False),
        sa.Column("incidents_prev_270d", sa.Integer(), nullable=False),
        sa.Column("victims", sa.Integer(), nullable=False),
        sa.Column("escalation", sa.Float(), nullable=True),
        sa.Column("latest_incident_type", sa.String(length=200), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("status_by_id", sa.Integer(), nullable=True),
        sa.Column("status_by", sa.String(length=100), nullable=False),
        sa.Column("status_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        _user_fk("imported_by_id"),
        _user_fk("status_by_id"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pdp_proposals_batch", "pdp_proposals", ["batch"])
    op.create_index("ix_pdp_proposals_organisation_id", "pdp_proposals", ["organisation_id"])
    op.create_index("ix_pdp_proposals_person_id", "pdp_proposals", ["person_id"])
    op.create_index("ix_pdp_proposals_status", "pdp_proposals", ["status"])

    op.create_table(
        "pdp_nominations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("owner_organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decision_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("removal_reason", sa.Text(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["pdp_proposals.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["owner_organisation_id"], ["organisations.id"]),
        _user_fk("owner_user_id"),
        _user_fk("created_by_id"),
        _user_fk("decision_by_id"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pdp_nominations_person_id", "pdp_nominations", ["person_id"])
    op.create_index("ix_pdp_nominations_owner_user_id", "pdp_nominations", ["owner_user_id"])
    op.create_index("ix_pdp_nominations_owner_organisation_id", "pdp_nominations", ["owner_organisation_id"])
    op.create_index("ix_pdp_nominations_status", "pdp_nominations", ["status"])
    op.create_index("ix_pdp_nominations_review_date", "pdp_nominations", ["review_date"])

    op.create_table(
        "pdp_shares",
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["nomination_id"], ["pdp_nominations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("nomination_id", "organisation_id"),
    )

    op.create_table(
        "pdp_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_organisation_id", sa.Integer(), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("done_note", sa.Text(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["nomination_id"], ["pdp_nominations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_organisation_id"], ["organisations.id"]),
        _user_fk("owner_user_id"),
        _user_fk("done_by_id"),
        _user_fk("created_by_id"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pdp_actions_nomination_id", "pdp_actions", ["nomination_id"])

    op.create_table(
        "pdp_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old", sa.Text(), nullable=False),
        sa.Column("new", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["nomination_id"], ["pdp_nominations.id"], ondelete="CASCADE"),
        _user_fk("user_id"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pdp_history_nomination_id", "pdp_history", ["nomination_id"])


def downgrade() -> None:
    op.drop_index("ix_pdp_history_nomination_id", table_name="pdp_history")
    op.drop_table("pdp_history")
    op.drop_index("ix_pdp_actions_nomination_id", table_name="pdp_actions")
    op.drop_table("pdp_actions")
    op.drop_table("pdp_shares")
    for name in ("review_date", "status", "owner_organisation_id", "owner_user_id", "person_id"):
        op.drop_index(f"ix_pdp_nominations_{name}", table_name="pdp_nominations")
    op.drop_table("pdp_nominations")
    for name in ("status", "person_id", "organisation_id", "batch"):
        op.drop_index(f"ix_pdp_proposals_{name}", table_name="pdp_proposals")
    op.drop_table("pdp_proposals")
