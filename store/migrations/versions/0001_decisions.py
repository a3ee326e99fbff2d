"""Decision records, their subjects, the policies that decided, batch runs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_texts",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("content", sa.Text(), nullable=False))
    op.create_table(
        "policies",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("ruleset_id", sa.String(100), nullable=False),
        sa.Column("revision", sa.String(64), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False))
    op.create_index("ix_policies_ruleset_id", "policies", ["ruleset_id"])
    op.create_table(
        "batch_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("ruleset_id", sa.String(100), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("decisions", sa.Integer(), nullable=False))
    op.create_table(
        "decisions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("caller", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ruleset_id", sa.String(100), nullable=False),
        sa.Column("revision", sa.String(64), nullable=False),
        sa.Column("policy_sha256", sa.String(64), sa.ForeignKey("policies.sha256"), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("kaohe_version", sa.String(40), nullable=False),
        sa.Column("batch_id", sa.String(36), sa.ForeignKey("batch_runs.id"), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("input", sa.LargeBinary(), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=False))
    # a decision made through the API has no batch: only batch decisions are indexed by their run
    op.create_index("ix_decisions_batch_id", "decisions", ["batch_id"], sqlite_where=sa.text("batch_id IS NOT NULL"),
                    postgresql_where=sa.text("batch_id IS NOT NULL"))
    op.create_index("ix_decisions_time", "decisions", ["decided_at", "id"])
    op.create_table(
        "decision_subjects",
        # no foreign key: PostgreSQL checks one per row with a trigger, a third of a batch's insert
        # time; a decision and its subjects are written and purged together, in one transaction
        sa.Column("decision_id", sa.String(36), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("school_id", sa.String(200), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False))
    op.create_index("ix_decision_subjects_subject_id", "decision_subjects", ["subject_id"])
    op.create_index("ix_decision_subjects_school_id", "decision_subjects", ["school_id"])


def downgrade() -> None:
    op.drop_table("decision_subjects")
    op.drop_table("decisions")
    op.drop_table("batch_runs")
    op.drop_index("ix_policies_ruleset_id", "policies")
    op.drop_table("policies")
    op.drop_table("policy_texts")
