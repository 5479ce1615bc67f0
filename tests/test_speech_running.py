"""Voice through the running app: /transcribe and /chat_audio with gradio_client, bad uploads, the console's player,
and a clip uploaded in the chat in headless Chromium."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from gradio_client import handle_file

ROOT = Path(__file__).resolve().parent.parent
CLIPS = ROOT / "assets" / "speech"


@pytest.fixture(scope="module")
def client(running_app):
    client = running_app.client()
    deadline = time.time() + 300
    while time.time() < deadline:  # voice input loads in the background once typed chat is ready
        speech = client.predict(api_name="/status")["speech"]
        if speech["ready"]:
            return client
        assert not speech["state"].startswith("failed"), speech
        time.sleep(1)
    pytest.fail(f"voice input did not load: {speech}")


def test_transcribe_endpoint(client):
    r = client.predict(handle_file(str(CLIPS / "BAC009S0150W0122.wav")), api_name="/transcribe")
    assert r["language"] == "zh" and "经济" in r["text"] and "上涨" in r["text"], r
    assert r["segments"] and r["seconds"] > 7 and r["rtf"] > 0


def test_chat_audio_answers_a_spoken_refund_question(client, running_app):
    r = client.predict(handle_file(str(CLIPS / "refund_question_en.wav")), "", api_name="/chat_audio")
    assert "refund" in r["transcript"]["text"].lower() and r["error"] is None, r
    assert r["trace"]["policy"]["action"] in ("knowledge_answer", "curated_answer") and r["sources"]
    assert r["trace"]["speech"]["spoken"] and r["trace"]["speech"]["audio"]
    # the same conversation continues by voice, and the console can play both recordings
    r2 = client.predict(handle_file(str(CLIPS / "refund_question_en.wav")), r["conversation_id"],
                        api_name="/chat_audio")
    assert r2["conversation_id"] == r["conversation_id"]
    kept = list((running_app.data_dir / "speech_audio" / r["conversation_id"]).glob("*.wav"))
    assert len(kept) == 2
    transcript = client.predict(r["conversation_id"], api_name="/conversation")
    spoken = [m for m in transcript["messages"] if (m.get("trace") or {}).get("speech")]
    assert len(spoken) == 2


@pytest.mark.parametrize("name, content, expected", [
    ("notes.txt", b"How long do refunds take?", "not an audio file"),
    ("broken.wav", b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(range(256)) * 40, "could not be read"),
])
def test_bad_uploads_get_a_message_and_the_app_keeps_serving(client, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(Exception) as err:
        client.predict(handle_file(str(path)), "", api_name="/chat_audio")
    assert expected in str(err.value), str(err.value)
    assert client.predict("How long do refunds take?", "", api_name="/chat")["reply"]


def test_an_upload_over_the_largest_limit_is_refused_while_it_streams_in(client, running_app):
    """launch(max_file_size=…): Gradio stops a file bigger than the largest of KEFU_UPLOAD_MAX_MB and
    KEFU_SPEECH_MAX_UPLOAD_MB (50 MB by default) with 413 and a message, before it is stored."""
    import httpx

    from components.settings import Settings

    settings = Settings()
    limit = int(max(settings.upload_max_mb, settings.speech_max_upload_mb) * 1024 * 1024)
    assert client.config["max_file_size"] == limit  # the browser refuses it before sending, from the same number
    big = b"\0" * (limit + 1024 * 1024)
    r = httpx.post(f"{running_app.local_url}gradio_api/upload", files={"files": ("big.wav", big, "audio/wav")},
                   timeout=120)
    assert r.status_code == 413 and "maximum allowed size" in r.text, (r.status_code, r.text[:200])
    assert client.predict(api_name="/status")["ready"]


def test_silence_is_not_sent_as_a_message(client, tmp_path):
    import wave

    path = tmp_path / "quiet.wav"
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(16000)
        f.writeframes(b"\x00\x00" * 16000 * 3)
    with pytest.raises(Exception) as err:
        client.predict(handle_file(str(path)), "", api_name="/chat_audio")
    assert "could not hear any speech" in str(err.value)


@pytest.mark.browser
def test_uploading_a_clip_in_the_chat_answers_it(running_app, client):
    from test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, _bot_texts, _open

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context, page = _open(browser, running_app.local_url)
        try:
            voice = page.locator("#kefu-voice")
            if voice.locator("input[type=file]").count() == 0:
                voice.get_by_label("Upload file").click()
            voice.locator("input[type=file]").set_input_files(str(CLIPS / "refund_question_en.wav"))
            page.wait_for_function("document.querySelector('#kefu-chatbot').innerText.includes('🎤')",
                                   timeout=120_000)
            page.wait_for_function("[...document.querySelectorAll('#kefu-chatbot .message')].some("
                                   "m => /Sources/.test(m.innerText))", timeout=120_000)
            chat = page.locator("#kefu-chatbot").inner_text()
            assert "refund" in chat.lower()
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "chat-voice.png"), full_page=True)
            assert _bot_texts(page)
        finally:
            context.close()
            browser.close()
