"""Who is asking: API tokens (``Authorization: Bearer TOKEN``) for the API, signed session
cookies for pages, and the CSRF token every form carries. HTTP only: the checks of what each
role may do are in ``leftbehind.community``."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from leftbehind.community import Community
from leftbehind.community.accounts import Principal, principal_for_id, principal_for_token
from leftbehind.errors import Forbidden, NotAuthenticated


def community(request: Request) -> Community:
    return request.app.state.community


def api_principal(request: Request) -> Principal | None:
    """The account of the request's bearer token; None without an Authorization header (the
    public); :class:`NotAuthenticated` (401) for any other credentials."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send the API token as 'Authorization: Bearer TOKEN'")
    return principal_for_token(community(request), token.strip())


def page_principal(request: Request) -> Principal | None:
    """The signed-in account of a page request (None when signed out or removed since)."""
    user_id = request.session.get("uid")
    if not isinstance(user_id, int):
        return None
    principal = principal_for_id(community(request), user_id)
    if principal is None:
        request.session.clear()
    return principal


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use); every form sends it back."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, sent: object) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not isinstance(sent, str):
        raise Forbidden("the form has expired or came from another site; reload the page")
    if not hmac.compare_digest(expected.encode(), sent.encode()):
        raise Forbidden("the form has expired or came from another site; reload the page")


def sign_in(request: Request, principal: Principal) -> None:
    """A new session for ``principal`` (a new CSRF token too: no session fixation)."""
    request.session.clear()
    request.session["uid"] = principal.id
    request.session["csrf"] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    request.session.clear()


def safe_next(target: str | None, default: str = "/account") -> str:
    """A local path to go to after signing in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here)}", status_code=303)
