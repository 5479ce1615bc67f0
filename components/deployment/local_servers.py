"""The scaled shape's servers on one machine, in temporary folders: PostgreSQL, a Chroma server, serve-engine and
app replicas. The tests start them (tests/conftest.py), and so does `python -m components.deployment.local_servers`
for benchmarks on one box (deploy/ has the docker-compose version).

PostgreSQL: Debian's binaries (`make test` installs the postgresql package as root), a fresh cluster from `initdb`
in a temporary folder, owned by a non-root user when the tests run as root (PostgreSQL refuses to run as root),
listening on a free loopback port with trust authentication. Each test asks for its own empty database.
When the binaries are missing the tests that need them skip, saying how to install them.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

INSTALL_HINT = ("PostgreSQL is not installed: `make test` installs Debian's postgresql package when run as root "
                "(or: apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found and Path(found).resolve().with_name("pg_ctl").exists():
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


class PostgresServer:
    def __init__(self):
        self.bin = postgres_bin_dir()
        if self.bin is None:
            raise FileNotFoundError(INSTALL_HINT)
        self.dir = Path(tempfile.mkdtemp(prefix="kefu-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.user = None
        if os.geteuid() == 0:  # initdb and postgres refuse root: run them as an unprivileged account
            for name in ("postgres", "nobody"):
                try:
                    self.user = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)

    def _demote(self):
        if self.user is not None:
            os.setgid(self.user.pw_gid)
            os.setuid(self.user.pw_uid)

    def _run(self, *args: str) -> None:
        result = subprocess.run([str(self.bin / args[0]), *args[1:]], preexec_fn=self._demote, cwd=self.dir,
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stdout[-2000:]}{result.stderr[-2000:]}")

    def start(self) -> "PostgresServer":
        self._run("initdb", "-D", str(self.data), "-U", "kefu", "--auth=trust", "-E", "UTF8", "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                  f"-c synchronous_commit=off -c max_connections=200", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://kefu@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "kefu") -> str:
        """A fresh empty database; returns its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except Exception:  # already gone
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def stop_process(proc: subprocess.Popen | None, grace_s: float = 30.0) -> None:
    """SIGTERM, then SIGKILL after `grace_s`; nothing when it is not running."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(grace_s)


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


class ChromaServer:
    """`chroma run` (the CLI that ships with the chromadb package) on a free loopback port, data in a temp folder."""

    def __init__(self):
        import sys

        self.binary = Path(sys.executable).with_name("chroma")
        if not self.binary.exists():
            found = shutil.which("chroma")
            if not found:
                raise FileNotFoundError("the `chroma` command of the chromadb package is not installed")
            self.binary = Path(found)
        self.dir = Path(tempfile.mkdtemp(prefix="kefu-chroma-"))
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ChromaServer":
        self.log = open(self.dir / "server.log", "ab")
        self.proc = subprocess.Popen([str(self.binary), "run", "--path", str(self.dir / "data"), "--host",
                                      "127.0.0.1", "--port", str(self.port)], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class KefuProcess:
    """`python app.py [serve-engine]` with the given environment, on a free port, until `ready()`."""

    def __init__(self, args: list[str], env: dict, log_path: Path, port: int):
        import sys

        root = Path(__file__).resolve().parents[2]
        self.port, self.log_path = port, log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, str(root / "app.py"), *args], cwd=root,
                                     env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, probe, timeout: float = 900.0) -> "KefuProcess":
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                if probe():
                    return self
            except Exception:  # not up yet
                pass
            time.sleep(1.0)
        raise TimeoutError(f"not ready after {timeout:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()


def start_scaled(replicas: int, cache_dir: Path | None = None, extra_env: dict | None = None) -> dict:
    """PostgreSQL + Chroma server + serve-engine + `replicas` app processes; returns the handles and URLs."""
    work = Path(tempfile.mkdtemp(prefix="kefu-scaled-"))
    cache = str(cache_dir or work / "cache")
    started: list = []
    cluster = {"apps": [], "work": work}
    try:
        return _start_scaled(cluster, started, replicas, cache, extra_env)
    except BaseException:
        for part in reversed(started):  # leave nothing running behind a failed start
            part.stop()
        shutil.rmtree(work, ignore_errors=True)
        raise


def _start_scaled(cluster: dict, started: list, replicas: int, cache: str, extra_env: dict | None) -> dict:
    import json
    import urllib.request

    from gradio_client import Client

    work = cluster["work"]
    postgres = PostgresServer().start()
    started.append(postgres)
    chroma = ChromaServer().start()
    started.append(chroma)
    database = postgres.new_database("scaled")
    engine_port = _free_port()
    engine = KefuProcess(["serve-engine", "--port", str(engine_port)],
                         {"KEFU_DATA_DIR": str(work / "engine"), "KEFU_CACHE_DIR": cache},
                         work / "serve-engine.log", engine_port)
    started.append(engine)
    engine.wait(lambda: json.loads(urllib.request.urlopen(f"http://127.0.0.1:{engine_port}/health", timeout=5)
                                   .read())["ok"])
    apps = []
    for i in range(replicas):
        port = _free_port()
        env = {"KEFU_DATA_DIR": str(work / f"app{i}"), "KEFU_CACHE_DIR": cache,
               "KEFU_VAULT_KEY_FILE": str(work / "vault.key"), "KEFU_DATABASE_URL": database,
               "KEFU_CHROMA_URL": chroma.url, "KEFU_ENGINE_BACKEND": "openai",
               "KEFU_OPENAI_BASE_URL": f"http://127.0.0.1:{engine_port}/v1",
               "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), **(extra_env or {})}
        url = f"http://127.0.0.1:{port}/"
        app = KefuProcess([], env, work / f"app{i}.log", port)
        started.append(app)
        apps.append(app.wait(lambda url=url: Client(url, verbose=False).predict(api_name="/status").get("ready")))
    return {"postgres": postgres, "chroma": chroma, "engine": engine, "apps": apps, "database": database,
            "urls": [f"http://127.0.0.1:{a.port}/" for a in apps], "work": work}


def stop_scaled(cluster: dict) -> None:
    for part in [*cluster["apps"], cluster["engine"], cluster["chroma"], cluster["postgres"]]:
        part.stop()
    shutil.rmtree(cluster["work"], ignore_errors=True)


def main() -> None:
    """`python -m components.deployment.local_servers --replicas 2`: start the scaled shape here, print its URLs
    as JSON, and keep it running until Ctrl-C (e.g. for `python app.py bench load --url URL1,URL2 --database …`)."""
    import argparse
    import json
    import logging

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--cache-dir", default=None, help="reuse converted model weights (KEFU_CACHE_DIR)")
    parser.add_argument("--no-rate-limit", action="store_true", help="lift the per-session limit (load benches)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    import signal

    def interrupted(*_):  # SIGTERM (and SIGINT, ignored by background shells) stop everything cleanly
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    extra = {"KEFU_RATE_LIMIT_PER_MINUTE": "1000000", "KEFU_RATE_LIMIT_BURST": "1000000"} if args.no_rate_limit else {}
    cluster = start_scaled(args.replicas, Path(args.cache_dir) if args.cache_dir else None, extra)
    print(json.dumps({"urls": cluster["urls"], "database": cluster["database"], "chroma": cluster["chroma"].url,
                      "engine": f"http://127.0.0.1:{cluster['engine'].port}/v1"}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stop_scaled(cluster)


if __name__ == "__main__":
    main()
