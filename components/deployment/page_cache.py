"""Serve the page and its `/config` from memory, so a burst of customers opening the chat does not queue.

Every visit (a browser opening the page, a `gradio_client` connecting) fetches `/` or `/config`: Gradio rebuilds
that ~270 KB document on each request (a deep copy of the whole UI plus a walk to rewrite its root URL), 40–90 ms of
CPU under the GIL on this box. Two hundred customers arriving in the same second then wait ~15 s in line for it, and
clients with a short timeout give up (`gradio_client`'s is 5 s). The document is the same for every anonymous visitor
of one address, so this ASGI middleware keeps the first answer per (path, host, forwarded headers, root path) and
replays it; concurrent first requests wait for the one being built instead of each building their own.

Requests with a query string, an Authorization header or a Gradio login cookie, and answers that are not a plain
200 with one body and no Set-Cookie, pass through untouched. The UI is built once at start-up and never changes
afterwards, so there is nothing to invalidate; `KEFU_PAGE_CACHE=false` turns it off.
"""
from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)

CACHED_PATHS = frozenset({"/", "/config", "/config/"})
MAX_ENTRIES = 64


class PageCache:
    def __init__(self, app, max_entries: int = MAX_ENTRIES):
        self.app = app
        self.max_entries = max_entries
        self._entries: dict[tuple, tuple[dict, bytes]] = {}
        self._building: dict[tuple, asyncio.Lock] = {}
        self._uncacheable: set[tuple] = set()
        self.hits = 0

    @staticmethod
    def _key(scope) -> tuple | None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in CACHED_PATHS:
            return None
        if scope.get("query_string"):
            return None
        headers = scope.get("headers") or []
        forwarded = []
        host = b""
        for name, value in headers:
            if name == b"authorization" or (name == b"cookie" and b"access-token" in value):
                return None  # a logged-in Gradio user gets their own username in the config
            if name == b"host":
                host = value
            elif name.startswith(b"x-forwarded") or name == b"forwarded":
                forwarded.append((name, value))
        return (scope["path"], scope.get("scheme"), scope.get("root_path", ""), host, tuple(sorted(forwarded)))

    async def __call__(self, scope, receive, send):
        key = self._key(scope)
        if key is None or key in self._uncacheable:
            return await self.app(scope, receive, send)
        if key not in self._entries:
            lock = self._building.setdefault(key, asyncio.Lock())
            async with lock:
                if key not in self._entries and key not in self._uncacheable:
                    return await self._build(key, scope, receive, send)
            if key not in self._entries:
                return await self.app(scope, receive, send)
        start, body = self._entries[key]
        self.hits += 1
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _build(self, key, scope, receive, send):
        messages: list[dict] = []

        async def capture(message):
            messages.append(message)
            await send(message)

        await self.app(scope, receive, capture)
        if (len(messages) == 2 and messages[0]["type"] == "http.response.start" and messages[0]["status"] == 200
                and not any(name.lower() == b"set-cookie" for name, _ in messages[0].get("headers", []))
                and messages[1]["type"] == "http.response.body" and not messages[1].get("more_body")):
            if len(self._entries) < self.max_entries:
                self._entries[key] = (messages[0], bytes(messages[1].get("body", b"")))
                log.debug("page cache: keeping %s for %s (%d bytes)", key[0], key[3].decode(errors="replace"),
                          len(self._entries[key][1]))
        else:
            self._uncacheable.add(key)


def middleware_kwargs(enabled: bool) -> dict:
    """`app_kwargs` for `Blocks.launch`: FastAPI's own `middleware=` list, so nothing is patched."""
    if not enabled:
        return {}
    from starlette.middleware import Middleware

    return {"middleware": [Middleware(PageCache)]}
