"""The page / config cache (components/deployment/page_cache.py): on a small ASGI app, then on the running app."""
from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from components.deployment.page_cache import PageCache, middleware_kwargs


def _app(calls: list, status: int = 200, cookie: bool = False):
    async def config(request):
        calls.append(request.url.path)
        await asyncio.sleep(0.05)  # long enough for concurrent first requests to overlap
        response = JSONResponse({"root": str(request.base_url), "n": len(calls)}, status_code=status)
        if cookie:
            response.set_cookie("x", "1")
        return response

    async def other(request):
        calls.append(request.url.path)
        return Response("ok")

    return Starlette(routes=[Route("/config", config), Route("/", config), Route("/other", other)],
                     middleware=[Middleware(PageCache)])


async def _get(app, *paths, headers=None, concurrently=False):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.example") as client:
        if concurrently:
            return await asyncio.gather(*(client.get(p, headers=headers) for p in paths))
        return [await client.get(p, headers=headers) for p in paths]


def test_the_config_is_built_once_and_replayed_byte_for_byte():
    calls: list = []
    app = _app(calls)
    first, second, page = asyncio.run(_get(app, "/config", "/config", "/"))
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first.json()["n"] == 1
    assert calls == ["/config", "/"]  # the second /config never reached the handler; "/" is its own entry
    asyncio.run(_get(app, "/other", "/other"))
    assert calls.count("/other") == 2  # other paths are never cached


def test_a_burst_of_first_visits_builds_the_config_once():
    calls: list = []
    responses = asyncio.run(_get(_app(calls), *["/config"] * 20, concurrently=True))
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert calls == ["/config"]


def test_queries_logins_other_hosts_errors_and_cookies_are_not_shared():
    calls: list = []
    app = _app(calls)
    asyncio.run(_get(app, "/config?page=x", "/config?page=x"))
    assert len(calls) == 2
    asyncio.run(_get(app, "/config", "/config", headers={"authorization": "Bearer t"}))
    assert len(calls) == 4
    a = asyncio.run(_get(app, "/config", headers={"host": "a.example"}))[0]
    b = asyncio.run(_get(app, "/config", headers={"host": "b.example"}))[0]
    assert a.json()["root"] != b.json()["root"]  # the root URL Gradio writes depends on the address asked
    failing: list = []
    asyncio.run(_get(_app(failing, status=503), "/config", "/config"))
    assert len(failing) == 2
    cookies: list = []
    asyncio.run(_get(_app(cookies, cookie=True), "/config", "/config"))
    assert len(cookies) == 2


def test_the_setting_turns_it_off():
    assert middleware_kwargs(False) == {}
    assert middleware_kwargs(True)["middleware"][0].cls is PageCache


def test_the_running_app_serves_the_same_config_for_each_visit_and_its_own_root_per_address(running_app):
    base = running_app.local_url.rstrip("/")
    with httpx.Client(timeout=30) as client:
        one, two = client.get(f"{base}/config"), client.get(f"{base}/config")
        assert one.status_code == two.status_code == 200
        assert one.content == two.content
        assert one.json()["dependencies"], "a real Gradio config"
        port = base.rsplit(":", 1)[1]
        other = client.get(f"http://localhost:{port}/config")
        assert other.json()["root"].startswith(f"http://localhost:{port}")
        assert one.json()["root"].startswith(base)
