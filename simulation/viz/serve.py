"""Serve the page for this machine only: `solara run` behind a guard against DNS rebinding.

Listening on 127.0.0.1 keeps other machines out, but not web pages: a page on any site
can make the browser resolve its own name to 127.0.0.1 (DNS rebinding) and then talk
to the server as if it were that site, or open a websocket to it from its own origin.
`LocalOnly` refuses, with 403, every HTTP request and websocket whose `Host` header, or
`Origin` header when there is one, is not `localhost`, `127.0.0.1` or `[::1]` (any
port, so an SSH tunnel to another local port still works). Requests without an Origin
(curl, scripts) pass when their Host is local.

    python -m simulation.viz.serve run simulation/viz/app.py --host 127.0.0.1 …

takes the arguments of `solara run`: it starts Solara's command line with Solara's
Starlette application wrapped in `LocalOnly` (`simulation.viz.cli.server_command`).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from typing import Any
from urllib.parse import urlsplit

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
REFUSED_CODE = 403
SOLARA_APPLICATION = "solara.server.starlette:app"  # what `solara run` has uvicorn load
WEBSOCKET_POLICY_VIOLATION = 1008  # close code of a refused websocket (the server sends 403)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_local_host(value: str) -> bool:
    """Whether a Host header names this machine: localhost, 127.0.0.1 or [::1], any port."""
    try:
        parts = urlsplit(f"//{value.strip()}")
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None or parts.path:
        return False
    return parts.hostname in LOCAL_HOSTS


def is_local_origin(value: str) -> bool:
    """Whether an Origin header is a page of this machine (http(s)://localhost…, any port)."""
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.path not in ("", "/"):
        return False
    return parts.hostname in LOCAL_HOSTS


def refusal(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """Why a request with these headers is refused, or None if it comes from this machine."""
    hosts, origins = [], []
    for name, value in headers:
        if name.lower() == b"host":
            hosts.append(value.decode("latin-1"))
        elif name.lower() == b"origin":
            origins.append(value.decode("latin-1"))
    if len(hosts) != 1 or not is_local_host(hosts[0]):
        return "this page is served for this machine only: the Host must be localhost"
    if not all(is_local_origin(origin) for origin in origins):
        return "this page accepts requests only from its own pages on localhost"
    return None


class LocalOnly:
    """ASGI middleware: 403 for HTTP requests and websockets not from this machine's pages."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass local requests on to the app; refuse the others."""
        if scope["type"] in ("http", "websocket"):
            reason = refusal(scope.get("headers", []))
            if reason is not None:
                await _refuse(scope, receive, send, reason)
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, reason: str) -> None:
    if scope["type"] == "http":
        from starlette.responses import PlainTextResponse

        await PlainTextResponse(reason + "\n", status_code=REFUSED_CODE)(scope, receive, send)
    else:
        # Closing before the handshake: the server answers the upgrade request with 403.
        # (A denial response would too, but uvicorn then logs an error for each.)
        await send({"type": "websocket.close", "code": WEBSOCKET_POLICY_VIOLATION})


def guard_solara() -> None:
    """Make uvicorn serve Solara's application (what `solara run` serves) inside `LocalOnly`.

    Solara's application module reads the settings `solara run` makes (the app, the
    production mode) when it is imported, so it is wrapped when uvicorn imports it, not
    before.
    """
    import uvicorn.config

    load = uvicorn.config.import_from_string
    if getattr(load, "guards_solara", False):
        return

    def import_guarded(name: Any) -> Any:
        app = load(name)
        return LocalOnly(app) if name == SOLARA_APPLICATION else app

    import_guarded.guards_solara = True  # type: ignore[attr-defined]
    uvicorn.config.import_from_string = import_guarded  # type: ignore[assignment]


def main(argv: Sequence[str] | None = None) -> None:
    """`solara run …` with the guard in place (uvicorn loads `solara.server.starlette:app`)."""
    guard_solara()
    from solara.__main__ import main as solara_main

    sys.argv = ["solara", *(sys.argv[1:] if argv is None else argv)]
    solara_main()


if __name__ == "__main__":
    main()
