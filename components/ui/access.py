"""Who may call what. The customer chat is public; in protected mode (agent accounts exist) the console, knowledge
base and analytics handlers need a logged-in agent: either this browser session logged in on the console tab, or
the request carries `Authorization: Bearer <token from /login>` / `Basic name:password`."""
import functools
import inspect
import threading

import gradio as gr

from components.console.agent_accounts import AuthError

_sessions: dict[str, str] = {}   # gradio session hash -> agent name
_sessions_lock = threading.Lock()


def current_agent(services, request: gr.Request | None, workspace: str | None = None) -> str:
    """The calling agent's name, or a gr.Error a person can act on (also when `workspace` is given and the agent
    has no role in it: components/workspaces/)."""
    session = getattr(request, "session_hash", None) if request is not None else None
    with _sessions_lock:
        by_session = _sessions.get(session) if session else None
    headers = getattr(request, "headers", None) or {}
    try:
        name = services.accounts.require(token=None, authorization=headers.get("authorization")) \
            if by_session is None else by_session
    except AuthError as exc:
        raise gr.Error(str(exc)) from exc
    if workspace and services.accounts.protected and workspace not in services.accounts.roles(name):
        raise gr.Error(f"Agent {name!r} has no role in the {workspace!r} workspace; a supervisor can grant one "
                       f"(python app.py agents grant {name} {workspace})")
    return name


def login(services, name: str, password: str, request: gr.Request | None) -> str:
    try:
        token = services.accounts.login((name or "").strip(), password or "")
    except AuthError as exc:
        raise gr.Error(str(exc)) from exc
    if request is not None and getattr(request, "session_hash", None):
        with _sessions_lock:
            _sessions[request.session_hash] = name.strip()
    services.store.audit(name.strip(), "login")
    return token


def logout(request: gr.Request | None) -> None:
    if request is not None and getattr(request, "session_hash", None):
        with _sessions_lock:
            _sessions.pop(request.session_hash, None)


def agent_only(services, fn):
    """Wrap a handler so it runs only for a logged-in agent (in demo mode, for everyone).

    The wrapper has the handler's parameters plus a trailing `request: gr.Request`, which Gradio fills in and
    does not expose as an API input; generators stay generators. A handler with a `workspace` parameter runs only
    for agents with a role in that workspace."""
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = [p.name for p in positional]

    def workspace_of(args, kwargs) -> str | None:
        """The workspace the call is about (empty: the first served one), None for handlers without one."""
        if "workspace" not in names and "workspace" not in kwargs:
            return None
        index = names.index("workspace") if "workspace" in names else len(args)
        value = kwargs.get("workspace") if "workspace" in kwargs else (args[index] if len(args) > index else "")
        hub = getattr(services, "workspaces", None)
        return (value or "").strip() or (hub.ids()[0] if hub is not None else "shop")
    request_param = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None,
                                      annotation=gr.Request)
    n = len(positional)

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            args, request = _split(args, kwargs, n)
            current_agent(services, request, workspace_of(args, kwargs))
            yield from fn(*args, **kwargs)
    else:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            args, request = _split(args, kwargs, n)
            current_agent(services, request, workspace_of(args, kwargs))
            return fn(*args, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=positional + [request_param])
    wrapper.__annotations__ = {**getattr(fn, "__annotations__", {}), "request": gr.Request}
    del wrapper.__wrapped__
    return wrapper


def _split(args, kwargs, n):
    request = kwargs.pop("request", None)
    if len(args) > n:
        request, args = args[n], args[:n]
    return args, request
