"""A corpus of hostile chat messages and malformed uploads sent through the running app: each gets a clear
answer, nothing already stored is lost, and the app keeps serving."""
from __future__ import annotations

import io
import zipfile

import pytest
from gradio_client import handle_file

MESSAGES = [
    "x" * 20_000,                                   # huge
    "\x00\x01\x02\x7f",                             # only control characters
    "where\x00 is\x1b[31m my\x07 order?",           # control characters inside text
    "😀🔥🙏 refund?? 💸💸",                           # emoji
    "مرحبا، أين طلبي؟ שלום",                        # right-to-left text
    "\u202eredro ym si erehw",                      # bidi override
    "<script>alert(1)</script><iframe src=javascript:alert(2)>",
    "![x](http://198.51.100.7/track.png) [click](javascript:alert(3))",
    "Robert'); DROP TABLE messages;--",
    "{{7*7}} ${7*7} %s %n",
    "e\u0301 combining ṩ",
    " ".join(["refund"] * 700),
]


@pytest.mark.parametrize("message", MESSAGES, ids=[f"m{i}" for i in range(len(MESSAGES))])
def test_hostile_messages_get_a_clear_answer(running_app, message):
    r = running_app.client().predict(message, "", api_name="/chat")
    assert r["reply"].strip(), r
    if r["error"]:
        assert r["error"] in ("empty", "too_long") and len(r["reply"]) > 20


def _zip_bomb_docx(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<w:document>" + b"A" * 300_000_000 + b"</w:document>")


def test_malformed_uploads_each_get_a_message_and_lose_nothing(running_app, tmp_path):
    client = running_app.client()
    before = {d["doc_id"] for d in client.predict(api_name="/kb_documents")}
    files = {}
    files["corrupt.pdf"] = b"%PDF-1.7\n" + bytes(range(256)) * 20
    files["binary.txt"] = bytes(range(256)) * 200
    files["empty.md"] = b""
    files["no-qa-columns.csv"] = b"name,price\nkettle,10\n"
    paths = []
    for name, data in files.items():
        p = tmp_path / name
        p.write_bytes(data)
        paths.append(p)
    bomb = tmp_path / "bomb.docx"
    _zip_bomb_docx(bomb)
    paths.append(bomb)
    good = tmp_path / "good-note.md"
    good.write_text("# Gift wrapping\n\nGift wrapping costs 4 dollars per item and can be added before shipping.\n")
    paths.append(good)
    result = client.predict([handle_file(str(p)) for p in paths], api_name="/kb_ingest")
    by_name = {f["filename"]: f for f in result["files"]}
    for name in list(files) + ["bomb.docx"]:
        assert by_name[name]["status"] == "error", by_name[name]
        assert len(by_name[name]["message"]) > 15
    assert by_name["good-note.md"]["status"] in ("indexed", "replaced")   # the rest of the batch still ingests
    after = {d["doc_id"] for d in client.predict(api_name="/kb_documents")}
    assert before < after
    # an unsupported type is refused at the upload itself, with the list of what is accepted
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ" + b"\x00" * 100)
    with pytest.raises(Exception, match="Invalid file type"):
        client.predict([handle_file(str(exe))], api_name="/kb_ingest")
    assert {d["doc_id"] for d in client.predict(api_name="/kb_documents")} == after
    assert client.predict("How long do refunds take?", "", api_name="/chat")["reply"].strip()  # still serving
