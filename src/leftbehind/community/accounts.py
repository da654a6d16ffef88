"""Accounts, roles and API tokens, with the role checks every write goes through.

Roles: ``admin`` (everything) and ``editor`` of one or more areas (writes for those areas only);
the public is ``None`` (reads what is published). Passwords are hashed with Argon2id
(argon2-cffi); API tokens are 256-bit random secrets shown once and stored as their SHA-256
(a fast hash is right for high-entropy secrets); failed sign-ins are rate limited per email.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from leftbehind.community.db import Community
from leftbehind.community.models import ROLES, ApiToken, LoginFailure, User, UserArea, utcnow
from leftbehind.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    TooManyAttempts,
    UnknownName,
)

HASHER = PasswordHasher()
MIN_PASSWORD = 10
#: At most this many failed sign-ins for one email within ``FAILURE_WINDOW``.
MAX_FAILURES = 5
#: ... and at most this many from one client address (over every email it tries).
MAX_IP_FAILURES = 20
FAILURE_WINDOW = dt.timedelta(minutes=15)
TOKEN_PREFIX = "lb_"
EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
AREA_CODE = re.compile(r"^[A-Za-z0-9]{1,64}$")
# Verifying against this when the email is unknown keeps the time of a failed sign-in the same.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Principal:
    """Who is making a request: an account's id, email, role and the areas it edits."""

    id: int
    email: str
    role: str
    name: str = ""
    areas: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_edit(self, area_code: str) -> bool:
        return self.is_admin or area_code in self.areas

    def require_area(self, area_code: str) -> None:
        if not self.may_edit(area_code):
            raise Forbidden(
                f"{self.email} is not an editor of area {area_code}; ask an admin to run "
                f"'leftbehind users add {self.email} --role editor --area {area_code}'"
            )

    @property
    def label(self) -> str:
        return self.name or self.email


def principal_of(user: User) -> Principal:
    return Principal(
        id=user.id,
        email=user.email,
        role=user.role,
        name=user.name,
        areas=frozenset(a.area_code for a in user.areas),
    )


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise InvalidInput(f"{email!r} is not an email address", parameter="email")
    return email


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"the password must have at least {MIN_PASSWORD} characters", parameter="password"
        )
    if len(password) > 1024:
        raise InvalidInput("the password is longer than 1,024 characters", parameter="password")


def _check_areas(role: str, areas: list[str]) -> list[str]:
    if role not in ROLES:
        raise UnknownName(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    bad = [a for a in areas if not AREA_CODE.match(a)]
    if bad:
        raise InvalidInput(f"{bad[0]!r} is not an area code (e.g. E05000028)", parameter="area")
    if role == "editor" and not areas:
        raise InvalidInput(
            "an editor needs at least one area: add --area CODE (repeat for more)",
            parameter="area",
        )
    return sorted(set(areas))


def _user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def add_user(
    community: Community,
    email: str,
    password: str,
    role: str,
    areas: list[str] | None = None,
    name: str = "",
) -> Principal:
    """Create an account (one transaction); an email already taken is a :class:`Conflict`."""
    email = normalise_email(email)
    codes = _check_areas(role, list(areas or []))
    _check_password(password)
    if len(name) > 120:
        raise InvalidInput("the name is longer than 120 characters", parameter="name")
    with community.write() as session:
        if _user(session, email) is not None:
            raise Conflict(f"there is already an account for {email}; remove it first")
        user = User(email=email, name=name.strip(), password_hash=HASHER.hash(password), role=role)
        user.areas = [UserArea(area_code=c) for c in codes]
        session.add(user)
        session.flush()
        return principal_of(user)


def list_users(community: Community) -> list[Principal]:
    with community.read() as session:
        return [principal_of(u) for u in session.scalars(select(User).order_by(User.email))]


def remove_user(community: Community, email: str) -> None:
    """Remove an account and its tokens; its measures stay (their history keeps the email)."""
    with community.write() as session:
        user = _user(session, email)
        if user is None:
            raise UnknownName(f"no account for {email}; see 'leftbehind users list'")
        session.delete(user)


def issue_token(community: Community, email: str) -> str:
    """A new API token for ``email`` (returned once; only its hash is kept)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with community.write() as session:
        user = _user(session, email)
        if user is None:
            raise UnknownName(f"no account for {email}; add it with 'leftbehind users add'")
        session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token)))
    return token


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def principal_for_token(community: Community, token: str) -> Principal:
    """The account an API token belongs to; :class:`NotAuthenticated` for any other token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise NotAuthenticated(
            "the API token is not valid; create one with 'leftbehind users token'"
        )
    with community.read() as session:
        user = session.scalar(
            select(User).join(ApiToken).where(ApiToken.token_hash == _token_hash(token))
        )
        if user is None:
            raise NotAuthenticated(
                "the API token is not valid (revoked or mistyped); create one with "
                "'leftbehind users token EMAIL'"
            )
        return principal_of(user)


def principal_for_id(community: Community, user_id: int) -> Principal | None:
    """The account of a signed-in session (None when it has been removed since)."""
    with community.read() as session:
        user = session.get(User, user_id)
        return principal_of(user) if user is not None else None


def authenticate(community: Community, email: str, password: str, client_ip: str = "") -> Principal:
    """Check a sign-in. Wrong email or password: :class:`NotAuthenticated` (the same message
    for both); more than ``MAX_FAILURES`` failures for the email, or ``MAX_IP_FAILURES`` from
    the client address ``client_ip``, in ``FAILURE_WINDOW``: :class:`TooManyAttempts`. A
    successful sign-in clears the email's count, not the address's.
    """
    client_ip = (client_ip or "")[:64]
    try:
        email = normalise_email(email)
    except InvalidInput:
        raise NotAuthenticated("the email or password is not right") from None
    since = utcnow() - FAILURE_WINDOW
    with community.read() as session:
        failures = session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.email == email, LoginFailure.at >= since)
        )
        from_ip = (
            session.scalar(
                select(func.count())
                .select_from(LoginFailure)
                .where(LoginFailure.client_ip == client_ip, LoginFailure.at >= since)
            )
            if client_ip
            else 0
        )
        user = session.scalar(select(User).where(User.email == email))
        if from_ip is not None and from_ip >= MAX_IP_FAILURES:
            minutes = int(FAILURE_WINDOW.total_seconds() // 60)
            raise TooManyAttempts(
                f"too many failed sign-ins from your address; wait {minutes} minutes and try again"
            )
        if failures is not None and failures >= MAX_FAILURES:
            minutes = int(FAILURE_WINDOW.total_seconds() // 60)
            raise TooManyAttempts(
                f"too many failed sign-ins for {email}; wait {minutes} minutes and try again"
            )
        stored = user.password_hash if user is not None else _DUMMY_HASH
        try:
            ok = HASHER.verify(stored, password) and user is not None
        except (VerificationError, InvalidHashError):
            ok = False
        principal = principal_of(user) if (ok and user is not None) else None
        rehash = ok and user is not None and HASHER.check_needs_rehash(stored)
    with community.write() as session:
        if principal is None:
            session.add(LoginFailure(email=email, client_ip=client_ip))
            session.execute(delete(LoginFailure).where(LoginFailure.at < since))
        else:
            session.execute(delete(LoginFailure).where(LoginFailure.email == email))
            if rehash:
                found = session.get(User, principal.id)
                if found is not None:
                    found.password_hash = HASHER.hash(password)
    if principal is None:
        raise NotAuthenticated("the email or password is not right")
    return principal


def session_secret(home: Path, configured: str | None) -> str:
    """The key that signs session cookies: ``configured`` (``LEFTBEHIND_SECRET_KEY``), or one
    made once and kept in ``home/secret_key`` (readable by this account only)."""
    if configured:
        return configured
    path = home / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key)
    return key
