"""community assets (Assets of Community Value included) and their history

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "community_assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("postcode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ownership", sa.String(length=16), nullable=False),
        sa.Column("opened", sa.Date(), nullable=True),
        sa.Column("closed", sa.Date(), nullable=True),
        sa.Column("evidence_url", sa.String(length=2000), nullable=False),
        sa.Column("acv_nominating_group", sa.String(length=200), nullable=False),
        sa.Column("acv_nomination_date", sa.Date(), nullable=True),
        sa.Column("acv_decision", sa.String(length=16), nullable=False),
        sa.Column("acv_decision_date", sa.Date(), nullable=True),
        sa.Column("acv_protected_period_start_date", sa.Date(), nullable=True),
        sa.Column("acv_protected_period_end_date", sa.Date(), nullable=True),
        sa.Column("acv_notification_to_sell_date", sa.Date(), nullable=True),
        sa.Column("lsoa21_code", sa.String(length=16), nullable=False),
        sa.Column("ltla_code", sa.String(length=16), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("point_method", sa.String(length=24), nullable=False),
        sa.Column("publication", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("community_assets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_community_assets_area_publication", ["area_code", "publication"], unique=False
        )
        batch_op.create_index("ix_community_assets_ltla", ["ltla_code"], unique=False)

    op.create_table(
        "asset_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_email", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["community_assets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("asset_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_changes_asset_id"), ["asset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("asset_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_changes_asset_id"))
    op.drop_table("asset_changes")
    with op.batch_alter_table("community_assets", schema=None) as batch_op:
        batch_op.drop_index("ix_community_assets_ltla")
        batch_op.drop_index("ix_community_assets_area_publication")
    op.drop_table("community_assets")
