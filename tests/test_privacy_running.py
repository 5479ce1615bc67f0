"""PII sent through the running app is in no table, no export and no log file; the attack suite is resisted."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PII = {"card": "4111 1111 1111 1111", "phone": "13812345678", "cn_id": "11010519491231002X",
       "iban": "GB82 WEST 1234 5698 7654 32", "email": "noah.brown7922@example.com"}


def _all_bytes(folder: Path) -> bytes:
    """Every file kefu wrote, except the demo shop's own customer database (which holds customers' emails and
    addresses by design: it is the business's system of record, not something typed into a chat)."""
    blob = b""
    for path in folder.rglob("*"):
        if path.name.startswith("shop.sqlite3"):
            continue
        if path.is_file() and path.stat().st_size < 200_000_000:
            blob += path.read_bytes()
    return blob


def test_pii_reaches_no_table_export_or_log(running_app, app_data_dir, model_cache_dir, tmp_path):
    client = running_app.client()
    r = client.predict(f"My card {PII['card']} was charged twice, call me on {PII['phone']}", "", api_name="/chat")
    cid = r["conversation_id"]
    assert {x["type"] for x in r["trace"]["redactions"]} >= {"CARD", "PHONE"}
    client.predict(f"身份证号 {PII['cn_id']}，退款到 IBAN {PII['iban']}", cid, api_name="/chat")
    client.predict("Where is my order #W7678072?", cid, api_name="/chat")
    verified = client.predict(f"my email is {PII['email']}", cid, api_name="/chat")
    assert "Noah" in verified["reply"]  # the order desk still verified the customer through the vault
    export_dir = tmp_path / "export"
    env = {**os.environ, "KEFU_DATA_DIR": str(app_data_dir), "KEFU_CACHE_DIR": str(model_cache_dir),
           "KEFU_VAULT_KEY_FILE": str(app_data_dir.parent / "vault.key")}
    for fmt in ("csv", "parquet"):
        done = subprocess.run([sys.executable, str(ROOT / "app.py"), "export", "--format", fmt, "--out",
                               str(export_dir / fmt), "--json"], capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    stored = _all_bytes(app_data_dir) + _all_bytes(export_dir) + running_app.log_path.read_bytes()
    for kind, raw in PII.items():
        for form in {raw, raw.replace(" ", ""), raw.lower()}:
            assert form.encode() not in stored, f"raw {kind} found in stored data"


def test_attack_suite_is_resisted(real_services):
    from components.dialogue.dialogue_eval import load_scenarios, turn_function
    from components.orders.scenario_runner import run_scenarios

    # the planted-instruction attacks need their poisoned document in the knowledge base
    planted = real_services.knowledge.ingest_file(ROOT / "tests" / "fixtures" / "privacy" / "planted_instructions.md")
    assert planted.status in ("indexed", "replaced", "skipped"), planted.message
    try:
        suite = load_scenarios(ROOT / "assets" / "scenarios" / "attacks.yaml")
        assert len(suite) >= 30
        result = run_scenarios(turn_function(real_services.dialogue), suite)
    finally:
        real_services.knowledge.delete(planted.doc_id)
    assert result["failed"] == 0, json.dumps(result["failures"][:3], ensure_ascii=False)[:3000]
