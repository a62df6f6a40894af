"""Who may use the web app: safe by default.

- It listens on loopback unless told otherwise, and refuses to listen anywhere else without a
  token (:func:`check_bind`): an archive browser on a shared network is readable by anyone on
  it.
- With a token, every request must carry it: the ``Authorization: Bearer`` header (or
  ``X-Newscrawler-Token``), or the cookie a browser gets by opening any page once with
  ``?token=...`` (answered by a redirect to the same page without it, so the token does not
  stay in the address bar or the history). Compared in constant time.
- Without a token (on loopback), only requests naming a loopback host in their ``Host``
  header are answered: a web page elsewhere cannot reach the app through a name it points at
  127.0.0.1 (DNS rebinding).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Iterable
from urllib.parse import urlencode

TOKEN_COOKIE = "newscrawler_token"
TOKEN_HEADER = "x-newscrawler-token"
TOKEN_PARAMETER = "token"
MIN_TOKEN_LENGTH = 16
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class UnsafeBind(ValueError):
    """Listening where the app would be reachable by others without a token, or a weak token."""


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); False for anything
    else, the wildcards ``0.0.0.0`` and ``::`` and other names included."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Raise UnsafeBind unless listening on ``host`` with ``token`` is safe."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise UnsafeBind(f"the token is too short: use at least {MIN_TOKEN_LENGTH} characters "
                         "(e.g. python -c 'import secrets; print(secrets.token_urlsafe())')")
    if not is_loopback(host) and not token:
        raise UnsafeBind(f"refusing to listen on {host} without a token: anyone who can reach it could read "
                         "the archive; give --token or set NEWSCRAWLER_WEB_TOKEN (or listen on 127.0.0.1)")


def loopback_hosts(bind_host: str) -> frozenset[str]:
    """The ``Host`` header names accepted without a token: loopback ones and the bound host."""
    return frozenset({*LOOPBACK_NAMES, bind_host.strip().strip("[]").lower()})


def _host_name(value: str) -> str:
    """The host of a ``Host`` header, without its port: ``[::1]:8000`` -> ``::1``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    return value.rpartition(":")[0] if value.count(":") == 1 else value


class AccessMiddleware:
    """ASGI middleware enforcing the token (when set) and the loopback ``Host`` names (when
    ``allowed_hosts`` is given)."""

    def __init__(self, app, *, token: str | None, allowed_hosts: Iterable[str] | None):
        self.app = app
        self.token = token.encode() if token else None
        self.allowed_hosts = frozenset(allowed_hosts) if allowed_hosts else None

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        from starlette.requests import HTTPConnection

        conn = HTTPConnection(scope)
        if self.allowed_hosts is not None and _host_name(conn.headers.get("host", "")) not in self.allowed_hosts:
            await self._refuse(scope, receive, send, 421, "this server answers only requests for a loopback "
                                                          "address (e.g. http://127.0.0.1)")
            return
        if self.token is None:
            await self.app(scope, receive, send)
            return
        given = conn.query_params.get(TOKEN_PARAMETER)
        if given is not None:
            if not self._matches(given):
                await self._refuse(scope, receive, send, 401, "the token is wrong")
                return
            await self._set_cookie_and_redirect(conn, scope, receive, send)
            return
        if self._matches(self._presented(conn)):
            await self.app(scope, receive, send)
            return
        await self._refuse(scope, receive, send, 401, "a token is required: send it as 'Authorization: Bearer "
                                                      "TOKEN', or open any page once with ?token=TOKEN")

    def _presented(self, conn) -> str | None:
        auth = conn.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip()
        return conn.headers.get(TOKEN_HEADER) or conn.cookies.get(TOKEN_COOKIE)

    def _matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token)

    async def _set_cookie_and_redirect(self, conn, scope, receive, send):
        from starlette.responses import RedirectResponse

        rest = [(k, v) for k, v in conn.query_params.multi_items() if k != TOKEN_PARAMETER]
        target = conn.url.path + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(TOKEN_COOKIE, self.token.decode(), httponly=True, samesite="strict", path="/")
        await response(scope, receive, send)

    async def _refuse(self, scope, receive, send, status: int, message: str):
        from starlette.responses import Response

        if scope["type"] == "websocket":  # no page to show: close the handshake
            await send({"type": "websocket.close", "code": 1008})
            return
        path = scope.get("path", "")
        if path.startswith("/api") or path == "/openapi.json":
            response = Response(json.dumps({"error": message}), status_code=status, media_type="application/json")
        else:
            response = Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8")
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="newscrawler"'
        await response(scope, receive, send)


__all__ = ["AccessMiddleware", "MIN_TOKEN_LENGTH", "TOKEN_COOKIE", "TOKEN_HEADER", "UnsafeBind", "check_bind",
           "is_loopback", "loopback_hosts"]
