"""Secrets never printed, addresses redacted, the shop's own contact details kept (issue 16, step 1)."""
from __future__ import annotations

import io
import logging
import warnings
from functools import partial
from types import SimpleNamespace

import pytest

from components.privacy.pii_redactor import PiiRedactor, find_pii
from components.privacy.secret_log_filter import SecretLogFilter, install_secret_masking
from components.settings import Settings

OPENAI = "sk-unit0test0openai0key0123456789"
VAULT = "unit-test-vault-passphrase-42"


def _settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, openai_api_key=OPENAI, vault_key=VAULT)


def test_settings_render_secrets_masked(tmp_path):
    settings = _settings(tmp_path)
    # what Gradio's "Expected 3 arguments" warning printed: a partial holding the services, settings included
    for text in (repr(settings), str(settings), f"{settings}", repr(partial(print, services=SimpleNamespace(
            settings=settings)))):
        assert OPENAI not in text and VAULT not in text
        assert "openai_api_key='***'" in text or "openai_api_key=***" in text.replace("'", "")
    assert "openai_api_key=None" in repr(Settings(data_dir=tmp_path))  # unset: no mask that suggests a value
    assert settings.openai_api_key == OPENAI  # the value itself is untouched


def test_log_filter_masks_every_configured_secret(tmp_path):
    logger = logging.getLogger("kefu-test-secrets")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        install_secret_masking(_settings(tmp_path), logger)
        logger.warning("header Bearer %s", OPENAI)
        logger.info(f"vault key is {VAULT}!")
        try:
            raise RuntimeError(f"connection refused with key {OPENAI}")
        except RuntimeError:
            logger.exception("calling the engine failed")
        logger.info("an ordinary line")
    finally:
        logger.removeHandler(handler)
        logging.captureWarnings(False)
    out = stream.getvalue()
    assert OPENAI not in out and VAULT not in out, out
    assert out.count("***") >= 3 and "an ordinary line" in out and "RuntimeError" in out


def test_warnings_go_through_the_secret_filter(tmp_path):
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)
    try:
        install_secret_masking(_settings(tmp_path))
        warnings.warn(f"Expected 3 arguments for function partial(services=Settings(openai_api_key={OPENAI!r}))")
    finally:
        root.removeHandler(handler)
        logging.captureWarnings(False)
    assert "Expected 3 arguments" in stream.getvalue() and OPENAI not in stream.getvalue()


def test_short_values_are_not_masked_everywhere():
    assert SecretLogFilter(["abc"]).mask("abcdef") == "abcdef"


@pytest.mark.parametrize("text, address", [
    ("Ship it to 763 Broadway, Suite 135, Philadelphia, PA 19122 please", "763 Broadway, Suite 135, Philadelphia, PA 19122"),
    ("new address: 1250 Broadway, Suite 910, Albany, NY 12207", "1250 Broadway, Suite 910, Albany, NY 12207"),
    ("I live at 42 Main Street, Springfield, IL 62701", "42 Main Street, Springfield, IL 62701"),
    ("寄到广东省深圳市南山区科技园南区8栋502室，谢谢", "广东省深圳市南山区科技园南区8栋502室"),
    ("请改为杭州市西湖区翠苑一区12幢3单元501室", "杭州市西湖区翠苑一区12幢3单元501室"),
    ("我住在浙江省杭州市西湖区文三路90号", "浙江省杭州市西湖区文三路90号"),
])
def test_addresses_with_or_without_a_street_type_are_found(text, address):
    assert [(f.type, f.value) for f in find_pii(text)] == [("ADDRESS", address)]


@pytest.mark.parametrize("text", [
    "500 stars can be exchanged for a 25 dollar voucher",
    "I bought 2 Items In Boston, MA 02101",        # no comma after the "street": not an address
    "Order #W2611340 shipped to zip 80279",
    "上海市浦东新区有3家门店",
])
def test_ordinary_text_is_not_taken_for_an_address(text):
    assert [f for f in find_pii(text) if f.type == "ADDRESS"] == []


def test_the_shops_public_contacts_stay_readable_the_customers_do_not():
    redactor = PiiRedactor(keep=Settings().public_contacts)
    bot = ("Human agents work Monday to Friday, 9:00 to 18:00 EST, at +1 (800) 555-0134 or "
           "support@kefu-demo-shop.example.")
    assert redactor.redact(bot, conversation_id="")[0] == bot
    customer = "reach me at 303-555-0142 or jane.doe@example.com, not SUPPORT@kefu-demo-shop.example"
    redacted, found = redactor.redact(customer, conversation_id="")
    assert [f["type"] for f in found] == ["PHONE", "EMAIL"]
    assert "jane.doe" not in redacted and "303-555-0142" not in redacted and "SUPPORT@kefu-demo-shop" in redacted


def test_running_app_writes_no_secret_and_no_clear_address(running_app):
    from tests.conftest import RUNNING_APP_SECRETS

    client = running_app.client()
    first = client.predict("Please send my parcel to 1250 Broadway, Suite 910, Albany, NY 12207", "",
                           api_name="/chat")
    stored = client.predict(first["conversation_id"], api_name="/conversation")
    customer_text = next(m["text"] for m in stored["messages"] if m["role"] == "customer")
    assert "[ADDRESS_" in customer_text and "1250 Broadway" not in customer_text
    hours = client.predict("What are your customer service hours?", "", api_name="/chat")
    assert "+1 (800) 555-0134" in hours["reply"], hours["reply"]  # the curated FAQ answer names the shop's phone
    stored = client.predict(hours["conversation_id"], api_name="/conversation")
    assert any("+1 (800) 555-0134" in m["text"] for m in stored["messages"] if m["role"] == "bot")
    files = [p for p in running_app.data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "kefu.sqlite3" for p in files)
    log = running_app.log_path.read_bytes()
    assert b"startup:" in log  # the log is the app's (not an empty file)
    for name, value in RUNNING_APP_SECRETS.items():
        for path in files:
            assert value.encode() not in path.read_bytes(), f"{name} written to {path}"
        assert value.encode() not in log, f"{name} in the app's log"
    for path in files:
        data = path.read_bytes()
        assert b"1250 Broadway" not in data and "1250 Broadway".encode("utf-16-le") not in data, path
