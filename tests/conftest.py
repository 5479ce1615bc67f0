"""Shared fixtures. Real parts are loaded once per test session; data always goes to temporary folders."""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# the app serves four workspaces by default; a test that needs several names them (Settings(workspaces=...) or a
# RunningApp's extra_env), the others run the shop alone: no background preparation of the other three
os.environ.setdefault("KEFU_WORKSPACES", "shop")

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory) -> Path:
    """One weights/classifier cache for the whole test session (the GGUF is converted once)."""
    return tmp_path_factory.mktemp("kefu-cache")


@pytest.fixture(scope="session")
def real_services(tmp_path_factory, model_cache_dir):
    """The real pipeline: SmolLM2, MiniLM, Chroma, SQLite, NLU, order desk — warmed up once."""
    from components.services import build_services
    from components.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("kefu-data"), cache_dir_override=model_cache_dir,
                        vault_key_file=model_cache_dir.parent / "vault.key", workspaces="shop")
    services = build_services(settings)
    status = services.warm_up()
    assert status.ready, status.error
    yield services
    services.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningApp:
    """`python app.py` in a subprocess on a free loopback port, with its own data directory. A start that fails or
    times out stops its process; any app a test left running is stopped at the end of the session."""

    started: list["RunningApp"] = []

    def __init__(self, data_dir: Path, cache_dir: Path, extra_env: dict | None = None):
        self.data_dir, self.cache_dir = data_dir, cache_dir
        self.extra_env = extra_env or {}
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = data_dir.parent / f"app-{self.port}.log"

    @property
    def local_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 420) -> "RunningApp":
        env = {**os.environ, "KEFU_DATA_DIR": str(self.data_dir), "KEFU_CACHE_DIR": str(self.cache_dir),
               "KEFU_VAULT_KEY_FILE": str(self.data_dir.parent / "vault.key"),
               "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(self.port), **self.extra_env}
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        RunningApp.started.append(self)
        try:
            self.wait_ready(timeout)
        except BaseException:  # not ready in time (a loaded box), exited, or interrupted: leave nothing behind
            self.stop()
            raise
        return self

    def wait_ready(self, timeout: float) -> None:
        from gradio_client import Client

        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited with {self.proc.returncode}; log:\n{self.log_path.read_text()[-3000:]}")
            try:
                status = Client(self.local_url, verbose=False).predict(api_name="/status")
                if status.get("ready"):
                    return
                if status.get("error"):
                    raise RuntimeError(f"start-up failed: {status['error']}")
                last = status
            except RuntimeError:
                raise
            except Exception as exc:  # server not up yet
                last = exc
            time.sleep(1.0)
        raise TimeoutError(f"app not ready after {timeout}s (last: {last}); log:\n{self.log_path.read_text()[-3000:]}")

    def client(self):
        from gradio_client import Client

        return Client(self.local_url, verbose=False)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)

    def stop(self) -> None:
        from components.deployment.local_servers import stop_process

        stop_process(self.proc)
        if getattr(self, "log", None):
            self.log.close()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def pytest_sessionfinish(session, exitstatus):
    """Stop every app a test started and did not stop (a failed assertion before its own stop())."""
    for app in RunningApp.started:
        app.stop()


@pytest.fixture(scope="session")
def app_data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("kefu-app-data")


# the running app is started with both secrets set: tests/test_privacy_secrets.py checks that neither value reaches
# a file of its data directory or a line of its log
RUNNING_APP_SECRETS = {"KEFU_OPENAI_API_KEY": "sk-kefuTEST0openai0key0must0never0be0logged",
                       "KEFU_VAULT_KEY": "kefu-test-vault-passphrase-never-logged"}


@pytest.fixture(scope="session")
def running_app(app_data_dir, model_cache_dir):
    app = RunningApp(app_data_dir, model_cache_dir, extra_env=RUNNING_APP_SECRETS)
    try:
        yield app.start()
    finally:
        app.stop()


# -- the demo shop database (order-desk tests) -------------------------------------------------------------------
@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory):
    """The shop seeded once per module; every test gets its own copy of it (`shop`)."""
    from components.orders.shop_database import ShopDatabase

    db = ShopDatabase.fresh_copy(tmp_path_factory.mktemp("shop-template") / "shop.sqlite3", ROOT / "assets" / "shop")
    yield db
    db.close()


@pytest.fixture()
def shop(seeded_template, tmp_path):
    db = seeded_template.clone(tmp_path / "shop.sqlite3")
    yield db
    db.close()


# -- real PostgreSQL (tests/servers.py) -------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL cluster in a temporary folder for the whole session; skipped when PostgreSQL is missing."""
    from components.deployment.local_servers import PostgresServer

    try:
        server = PostgresServer().start()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture()
def postgres_url(postgres_server) -> str:
    """A fresh empty PostgreSQL database for one test."""
    return postgres_server.new_database()


@pytest.fixture(scope="session")
def chroma_server():
    """A `chroma run` server for the whole session (tests/servers.py)."""
    from components.deployment.local_servers import ChromaServer

    try:
        server = ChromaServer().start()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    yield server
    server.stop()
