"""SQLAlchemy 2 models of the community database. Migrations in ``migrations/versions`` create
exactly these tables (``tests/test_community_db.py`` checks that they agree)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("admin", "editor")
STATUSES = ("draft", "published")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: Shown as the publisher of the account's measures (e.g. 'Becontree Big Local').
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    areas: Mapped[list[UserArea]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserArea.area_code"
    )


class UserArea(Base):
    """An area an editor may write for."""

    __tablename__ = "user_areas"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    area_code: Mapped[str] = mapped_column(String(64), primary_key=True)


class ApiToken(Base):
    """An API token, stored as the SHA-256 of a 256-bit random secret (never the token)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Measure(Base):
    """A local measure of success for one area."""

    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(40), default="")
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    method: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    baseline: Mapped[float | None] = mapped_column(Float, nullable=True)
    target: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    #: Optimistic concurrency: an edit names the version it read; a stale one is a conflict.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    publisher: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (Index("ix_measures_area_status", "area_code", "status"),)


class Observation(Base):
    """One value of a measure at a date."""

    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Float)
    date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_url: Mapped[str] = mapped_column(String(2000), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_observations_measure_date", "measure_id", "date"),)


class Change(Base):
    """Who changed what, when: one row per write to a measure or its observations."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("measures.id", ondelete="CASCADE"), index=True
    )
    observation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    #: The account's email at the time (kept when the account is removed).
    user_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(40))
    #: ``{field: [old, new]}`` for updates; the values written for creations.
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginFailure(Base):
    """A failed sign-in, for rate limiting (kept in the database so every process sees it)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    #: The client's address (for the per-address limit); empty when unknown.
    client_ip: Mapped[str] = mapped_column(String(64), default="", server_default="", index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# -- imported 360Giving grants (user data: imports run while the site serves) -----------------
class GrantImport(Base):
    """One imported file (by content): the first import of each file; a version counter."""

    __tablename__ = "grant_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_file: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    rows: Mapped[int] = mapped_column(Integer)
    first_imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: How it came: ``cli``, ``web`` (an admin's upload), ``store`` (moved from an old store).
    via: Mapped[str] = mapped_column(String(16), default="cli")


class Grant(Base):
    """One imported grant (deduplicated by its 360Giving ``Identifier``), located."""

    __tablename__ = "grants"

    identifier: Mapped[str] = mapped_column(String(500), primary_key=True)
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("grant_imports.id", ondelete="SET NULL"), nullable=True, index=True
    )
    source_file: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    row_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    funder_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    funder_name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    funder_type: Mapped[str | None] = mapped_column(String(255), nullable=True)
    recipient_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    recipient_name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    recipient_postcode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    award_date: Mapped[dt.date] = mapped_column(Date)
    award_year: Mapped[int] = mapped_column(Integer)
    #: In the grant's own currency, as published.
    amount: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3))
    #: Exact pounds-and-pence in GBP as integer pence (None: not GBP and no rate given).
    amount_gbp_pence: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: The publisher's web page of the grant (http/https only), and the file's data source page.
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    data_source: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    beneficiary_codes: Mapped[str | None] = mapped_column(Text, nullable=True)
    recipient_location_codes: Mapped[str | None] = mapped_column(Text, nullable=True)
    location_method: Mapped[str] = mapped_column(String(32))
    location_geography: Mapped[str | None] = mapped_column(String(32), nullable=True)
    location_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    lsoa21_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    lsoa11_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    ward_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    ltla_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    location_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    apportioned: Mapped[bool] = mapped_column(Boolean, default=False)


class GrantReject(Base):
    """A row of an imported file that was rejected, left unlocated or not summed, and why."""

    __tablename__ = "grant_rejects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_file: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    row_number: Mapped[int] = mapped_column(Integer)
    identifier: Mapped[str | None] = mapped_column(String(500), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("source_sha256", "row_number", "action", name="uq_grant_rejects_row"),
    )


class GrantUpdate(Base):
    """A stored grant replaced by a re-import with ``--update``: what changed."""

    __tablename__ = "grant_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(500), index=True)
    source_file: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    row_number: Mapped[int] = mapped_column(Integer)
    changes: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PublicFundImport(Base):
    """A user's public funding file (the Levelling Up Fund layout), shown beside the official
    funds: one row per fund name, replaced whole on re-import."""

    __tablename__ = "public_fund_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fund: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    bids: Mapped[int] = mapped_column(Integer)
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    imported_by: Mapped[str] = mapped_column(String(254), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PublicFundAward(Base):
    """One award (bid) of an imported fund, as the file gave it (amount in pence)."""

    __tablename__ = "public_fund_awards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("public_fund_imports.id", ondelete="CASCADE"), index=True
    )
    bid: Mapped[int] = mapped_column(Integer)
    lead: Mapped[str] = mapped_column(String(300), default="")
    bid_name: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(60), default="")
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    lads: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")


class PublicFundShare(Base):
    """An award's part for one 2024 local authority (parts add up to the award, in pence)."""

    __tablename__ = "public_fund_shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("public_fund_imports.id", ondelete="CASCADE"), index=True
    )
    bid: Mapped[int] = mapped_column(Integer)
    ltla24_code: Mapped[str] = mapped_column(String(9))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))


class CommunityAsset(Base):
    """An asset a community editor added (a pub, a green space, an Asset of Community Value):
    the official inventory lives in the evidence store; these survive its rebuilds. The
    ``acv_*`` fields follow the planning data specification's ``asset-of-community-value``."""

    __tablename__ = "community_assets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The area of the editor who added it (any edition's area code).
    area_code: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    postcode: Mapped[str] = mapped_column(String(16), default="")
    #: open, closed or threatened.
    status: Mapped[str] = mapped_column(String(16), default="open")
    ownership: Mapped[str] = mapped_column(String(16), default="unknown")
    opened: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    closed: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    evidence_url: Mapped[str] = mapped_column(String(2000))
    acv_nominating_group: Mapped[str] = mapped_column(String(200), default="")
    acv_nomination_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    acv_decision: Mapped[str] = mapped_column(String(16), default="")
    acv_decision_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    acv_protected_period_start_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    acv_protected_period_end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    acv_notification_to_sell_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    #: Where it was placed when written (from its postcode, else the area): LSOA 2021, local
    #: authority, the point shown on maps and how it was found.
    lsoa21_code: Mapped[str] = mapped_column(String(16), default="")
    ltla_code: Mapped[str] = mapped_column(String(16), default="")
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    point_method: Mapped[str] = mapped_column(String(24), default="")
    #: Moderation: draft (the area's editors and admins only) or published (everyone).
    publication: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    publisher: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (
        Index("ix_community_assets_area_publication", "area_code", "publication"),
        Index("ix_community_assets_ltla", "ltla_code"),
    )


class AssetChange(Base):
    """Who changed what, when: one row per write to a community asset."""

    __tablename__ = "asset_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(
        ForeignKey("community_assets.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    user_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(40))
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
