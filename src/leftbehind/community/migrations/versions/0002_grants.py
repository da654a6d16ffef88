"""imported grants move into the community database; failed sign-ins record the client address

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grant_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.String(length=255), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("first_imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_sha256"),
    )
    op.create_table(
        "grant_rejects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.String(length=255), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=500), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_sha256", "row_number", "action", name="uq_grant_rejects_row"),
    )
    op.create_table(
        "grant_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=500), nullable=False),
        sa.Column("source_file", sa.String(length=255), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("grant_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grant_updates_identifier"), ["identifier"], unique=False
        )

    op.create_table(
        "grants",
        sa.Column("identifier", sa.String(length=500), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("source_file", sa.String(length=255), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("funder_id", sa.String(length=255), nullable=True),
        sa.Column("funder_name", sa.String(length=500), nullable=True),
        sa.Column("funder_type", sa.String(length=255), nullable=True),
        sa.Column("recipient_id", sa.String(length=255), nullable=True),
        sa.Column("recipient_name", sa.String(length=500), nullable=True),
        sa.Column("recipient_postcode", sa.String(length=16), nullable=True),
        sa.Column("award_date", sa.Date(), nullable=False),
        sa.Column("award_year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_gbp_pence", sa.BigInteger(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("data_source", sa.String(length=2000), nullable=True),
        sa.Column("beneficiary_codes", sa.Text(), nullable=True),
        sa.Column("recipient_location_codes", sa.Text(), nullable=True),
        sa.Column("location_method", sa.String(length=32), nullable=False),
        sa.Column("location_geography", sa.String(length=32), nullable=True),
        sa.Column("location_code", sa.String(length=16), nullable=True),
        sa.Column("lsoa21_code", sa.String(length=16), nullable=True),
        sa.Column("lsoa11_code", sa.String(length=16), nullable=True),
        sa.Column("ward_code", sa.String(length=16), nullable=True),
        sa.Column("ltla_code", sa.String(length=16), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("location_note", sa.Text(), nullable=True),
        sa.Column("apportioned", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["grant_imports.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("identifier"),
    )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grants_funder_id"), ["funder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grants_import_id"), ["import_id"], unique=False)

    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("client_ip", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_login_failures_client_ip"), ["client_ip"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_client_ip"))
        batch_op.drop_column("client_ip")

    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grants_import_id"))
        batch_op.drop_index(batch_op.f("ix_grants_funder_id"))

    op.drop_table("grants")
    with op.batch_alter_table("grant_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grant_updates_identifier"))

    op.drop_table("grant_updates")
    op.drop_table("grant_rejects")
    op.drop_table("grant_imports")
