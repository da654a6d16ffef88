"""public funds: users' funding files in the Levelling Up Fund layout

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_fund_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("bids", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("imported_by", sa.String(length=254), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fund"),
    )
    op.create_table(
        "public_fund_awards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("bid", sa.Integer(), nullable=False),
        sa.Column("lead", sa.String(length=300), nullable=False),
        sa.Column("bid_name", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=60), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("lads", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["public_fund_imports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("public_fund_awards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_public_fund_awards_import_id"), ["import_id"], unique=False
        )
    op.create_table(
        "public_fund_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("bid", sa.Integer(), nullable=False),
        sa.Column("ltla24_code", sa.String(length=9), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["public_fund_imports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("public_fund_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_public_fund_shares_import_id"), ["import_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("public_fund_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_public_fund_shares_import_id"))
    op.drop_table("public_fund_shares")
    with op.batch_alter_table("public_fund_awards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_public_fund_awards_import_id"))
    op.drop_table("public_fund_awards")
    op.drop_table("public_fund_imports")
