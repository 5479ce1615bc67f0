"""Agent accounts: names with scrypt-hashed passwords, and session tokens handed out at login.

Demo mode = no account exists: every tab is open. Protected mode = at least one account: the console, knowledge
base and analytics (tabs and API endpoints) need an agent login; the customer chat stays public.

Roles are per workspace (components/workspaces/): an agent works in the workspaces it has a role in ("agent" or
"supervisor") and sees nothing of the others; accounts made before workspaces existed are the shop's agents.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from pathlib import Path

from components.storage.database import Database, IntegrityError, database_for
from components.storage.migrations import upgrade

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
SESSION_HOURS = 12
ROLES = ("agent", "supervisor")


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2 ** 14, r=8, p=1, dklen=32)


class AuthError(PermissionError):
    """The caller is not a logged-in agent."""


class AgentAccounts:
    """Accounts and session tokens in the shared database, so a login on one replica is valid on every other.

    `location`: a SQLite path, a database URL or an open `Database` (shared; then the caller closes it)."""

    def __init__(self, location: "Path | str | Database"):
        self.db, self._owns_db = database_for(location)
        upgrade(self.db)

    @property
    def protected(self) -> bool:
        return int(self.db.scalar("SELECT COUNT(*) FROM agents")) > 0

    def names(self, workspace: str | None = None) -> list[str]:
        """Every agent, or the agents with a role in `workspace`."""
        if workspace is None:
            return [r[0] for r in self.db.rows("SELECT name FROM agents ORDER BY name")]
        return [r[0] for r in self.db.rows("SELECT agent FROM agent_roles WHERE workspace_id = ? ORDER BY agent",
                                           (workspace,))]

    def grant(self, name: str, workspace: str, role: str = "agent") -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not self.db.scalar("SELECT COUNT(*) FROM agents WHERE name = ?", (name,)):
            raise ValueError(f"No agent called {name!r}; add it first (python app.py agents add NAME)")
        self.db.execute("INSERT INTO agent_roles (agent, workspace_id, role, granted_at) VALUES (?,?,?,?) "
                        "ON CONFLICT (agent, workspace_id) DO UPDATE SET role = excluded.role",
                        (name, workspace, role, time.time()))

    def revoke(self, name: str, workspace: str) -> bool:
        return self.db.execute("DELETE FROM agent_roles WHERE agent = ? AND workspace_id = ?",
                               (name, workspace)).rowcount == 1

    def roles(self, name: str) -> dict[str, str]:
        """{workspace id: role} of one agent."""
        return {ws: role for ws, role in self.db.rows(
            "SELECT workspace_id, role FROM agent_roles WHERE agent = ? ORDER BY workspace_id", (name,))}

    def add(self, name: str, password: str, *, workspace: str = "shop", role: str = "agent") -> None:
        if not _NAME.match(name or ""):
            raise ValueError("An agent name is 2-64 letters, digits or . _ @ -")
        if len(password or "") < 8:
            raise ValueError("The password must have at least 8 characters")
        salt = secrets.token_bytes(16)
        try:
            self.db.execute("INSERT INTO agents (name, salt, hash, created_at) VALUES (?,?,?,?)",
                            (name, salt, _hash(password, salt), time.time()))
        except IntegrityError as exc:
            raise ValueError(f"An agent called {name!r} exists already") from exc
        self.grant(name, workspace, role)

    def verify(self, name: str, password: str) -> bool:
        rows = self.db.rows("SELECT salt, hash FROM agents WHERE name = ?", (name,))
        if not rows:
            _hash(password or "", b"0" * 16)  # same work either way
            return False
        salt, stored = (bytes(v) for v in rows[0])
        return hmac.compare_digest(_hash(password or "", salt), stored)

    def login(self, name: str, password: str) -> str:
        if not self.verify(name, password):
            raise AuthError("Wrong agent name or password")
        token = secrets.token_urlsafe(32)
        self.db.execute("INSERT INTO agent_sessions (token, name, expires_at) VALUES (?,?,?)",
                        (token, name, time.time() + SESSION_HOURS * 3600))
        return token

    def agent_for_token(self, token: str | None) -> str | None:
        if not token:
            return None
        rows = self.db.rows("SELECT name, expires_at FROM agent_sessions WHERE token = ?", (token,))
        return rows[0][0] if rows and rows[0][1] > time.time() else None

    def agent_for_header(self, authorization: str | None) -> str | None:
        """`Authorization: Bearer <token>` (from login) or `Basic base64(name:password)`."""
        if not authorization:
            return None
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return self.agent_for_token(value.strip())
        if scheme.lower() == "basic":
            try:
                name, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
            return name if self.verify(name, password) else None
        return None

    def require(self, *, token: str | None = None, authorization: str | None = None,
                workspace: str | None = None) -> str:
        """The agent's name; in demo mode (no accounts) the shared "demo-agent". Raises AuthError otherwise, and
        when `workspace` is given and the agent has no role in it."""
        if not self.protected:
            return self.agent_for_token(token) or "demo-agent"
        name = self.agent_for_token(token) or self.agent_for_header(authorization)
        if name is None:
            raise AuthError("This needs an agent login: sign in on the Operator console tab, or send an "
                            "Authorization header (Bearer token from /login, or Basic name:password)")
        if workspace is not None and workspace not in self.roles(name):
            raise AuthError(f"Agent {name!r} has no role in the {workspace!r} workspace; a supervisor can grant one "
                            f"(python app.py agents grant {name} {workspace})")
        return name

    def close(self) -> None:
        if self._owns_db:
            self.db.close()
