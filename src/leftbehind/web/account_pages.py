"""Sign in, sign out and the account page (forms with CSRF tokens; no JavaScript needed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from leftbehind.community import accounts
from leftbehind.community import measures as repo
from leftbehind.errors import NotAuthenticated, TooManyAttempts
from leftbehind.i18n import gettext as _
from leftbehind.web.auth import (
    check_csrf,
    community,
    csrf_token,
    login_redirect,
    page_principal,
    safe_next,
    sign_in,
    sign_out,
)
from leftbehind.web.rendering import base_context, render

router = APIRouter(include_in_schema=False)

NO_STORE = {"Cache-Control": "no-store"}


def private_page(request: Request, template: str, status: int = 200, **context) -> Response:
    """A page for one visitor (forms, accounts): never cached, always with a CSRF token."""
    ctx = base_context(request, None)
    ctx.update({"csrf": csrf_token(request), "principal": page_principal(request), **context})
    return HTMLResponse(render(request, template, ctx, status), status, headers=NO_STORE)


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, next_: Annotated[str | None, Query(alias="next", max_length=500)] = None
) -> Response:
    return private_page(
        request, "login.html", title=_("Sign in"), next=safe_next(next_), email="", error=None
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next_: Annotated[str, Form(alias="next", max_length=500)] = "",
) -> Response:
    check_csrf(request, csrf)
    try:
        client = request.client.host if request.client else ""
        who = accounts.authenticate(community(request), email, password, client_ip=client)
    except (NotAuthenticated, TooManyAttempts) as exc:
        status = 429 if isinstance(exc, TooManyAttempts) else 401
        return private_page(
            request,
            "login.html",
            status=status,
            title=_("Sign in"),
            next=safe_next(next_),
            email=email,
            error=str(exc),
        )
    sign_in(request, who)
    return RedirectResponse(safe_next(next_), status_code=303)


@router.get("/logout", response_class=HTMLResponse)
def logout_form(request: Request) -> Response:
    return private_page(request, "logout.html", title=_("Sign out"))


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    check_csrf(request, csrf)
    sign_out(request)
    return RedirectResponse("/", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request) -> Response:
    who = page_principal(request)
    if who is None:
        return login_redirect(request)
    mine = repo.areas_with_measures(community(request), who)
    return private_page(request, "account.html", title=_("Your account"), measures=mine, token=None)


@router.post("/account/token", response_class=HTMLResponse)
async def new_token(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    check_csrf(request, csrf)
    who = await run_in_threadpool(page_principal, request)
    if who is None:
        return login_redirect(request)
    token = await run_in_threadpool(accounts.issue_token, community(request), who.email)
    mine = await run_in_threadpool(repo.areas_with_measures, community(request), who)
    return await run_in_threadpool(
        lambda: private_page(
            request, "account.html", title=_("Your account"), measures=mine, token=token
        )
    )
