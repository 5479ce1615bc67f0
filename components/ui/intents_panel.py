"""Intents panel: try a sentence (intent, confidence, sentiment, entities), add examples to a domain, import a Rasa
or Dialogflow export, retrain and see the result. Thin: every handler validates, calls services.nlu, formats."""
from __future__ import annotations

import tempfile
import zipfile
from functools import partial
from pathlib import Path

import gradio as gr

from components.ui.i18n import t

from components.ui.access import agent_only

from components.nlu.importers import import_dialogflow, import_rasa
from components.nlu.intent_pack import read_examples

MAX_IMPORT_BYTES = 50 * 1024 * 1024


def _domains(nlu) -> list[str]:
    return nlu.domains() if nlu is not None else []


def try_sentence(text: str, domain: str | None, *, nlu) -> tuple[str, dict]:
    """Markdown summary and the full NLU result for one sentence."""
    if nlu is None:
        raise gr.Error("The NLU is not available in this app")
    if not (text or "").strip():
        raise gr.Error("Type a sentence to analyse")
    try:
        result = nlu.parse(text, domain=domain or None)
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc
    top = ", ".join(f"`{label}` {p:.2f}" for label, p in result.top_intents) or "none"
    scope = " · **out of scope**" if result.out_of_scope else ""
    emotions = f" · emotions: {', '.join(result.emotions)}" if result.emotions else ""
    entities = ", ".join(f"{k}=`{v}`" for k, v in result.entities.items()) or "none"
    summary = (f"**Intent** `{result.intent}` ({result.confidence:.2f}){scope} — domain `{result.domain}`\n\n"
               f"Top: {top}\n\n"
               f"**Sentiment** {result.sentiment} ({result.sentiment_score:+.2f}){emotions} · "
               f"language {result.language}\n\n**Entities** {entities}\n\n"
               f"_{result.timings_ms.get('total', 0):.1f} ms_")
    return summary, result.to_dict()


def add_examples(domain: str, label: str, lines: str, *, nlu) -> str:
    """Add one example per non-empty line under `label`; they count after Retrain."""
    if nlu is None:
        raise gr.Error("The NLU is not available in this app")
    texts = [line.strip() for line in (lines or "").splitlines() if line.strip()]
    if not texts:
        raise gr.Error("Write at least one example sentence (one per line)")
    try:
        written = nlu.add_examples((domain or "").strip(), [(t, (label or "").strip()) for t in texts])
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc
    return (f"Added {written} example(s) to `{label.strip()}` in domain `{domain.strip()}`. "
            "Press **Retrain** to use them.")


def _read_upload(path: Path) -> list[tuple[str, str]]:
    suffix = path.suffix.lower()
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise ValueError(f"{path.name} is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    if suffix in (".yml", ".yaml"):
        return import_rasa(path)
    if suffix == ".csv":
        return read_examples(path)
    if suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_IMPORT_BYTES:
                raise ValueError(f"{path.name} unpacks to more than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
            with tempfile.TemporaryDirectory() as tmp:
                archive.extractall(tmp)  # zipfile strips absolute paths and '..'
                roots = [p.parent for p in Path(tmp).rglob("intents") if p.is_dir()]
                return import_dialogflow(roots[0] if roots else Path(tmp))
    raise ValueError(f"{path.name}: upload a Rasa nlu.yml, a Dialogflow export .zip or a text,label .csv")


def import_file(domain: str, upload, *, nlu) -> str:
    """Import a Rasa nlu.yml, a Dialogflow agent export (.zip) or a text,label CSV into `domain`."""
    if nlu is None:
        raise gr.Error("The NLU is not available in this app")
    if upload is None:
        raise gr.Error("Choose a file to import")
    path = Path(upload if isinstance(upload, (str, Path)) else getattr(upload, "name", ""))
    try:
        pairs = _read_upload(path)
        written = nlu.add_examples((domain or "").strip(), pairs)
    except (ValueError, zipfile.BadZipFile) as exc:
        raise gr.Error(str(exc)) from exc
    labels = len({label for _, label in pairs})
    return (f"Imported {written} example(s) of {labels} intent(s) from `{path.name}` into domain `{domain}`. "
            "Press **Retrain** to use them.")


def retrain(domain: str, *, nlu) -> tuple[str, dict]:
    """Retrain one domain; on failure the previous model keeps serving and the reason is shown."""
    if nlu is None:
        raise gr.Error("The NLU is not available in this app")
    domain = (domain or "").strip()
    try:
        metrics = nlu.retrain(domain)
    except ValueError as exc:
        raise gr.Error(f"Retraining {domain!r} failed; the previous model keeps serving. {exc}") from exc
    held = metrics.get("holdout_accuracy")
    held_text = f" · held-out accuracy {held:.1%}" if isinstance(held, float) else ""
    return (f"Domain `{domain}` retrained: {metrics.get('examples')} examples, {metrics.get('labels')} intents"
            f"{held_text} · {metrics.get('train_seconds', 0)} s"
            f"{' (from cache)' if metrics.get('cached') else ''}."), metrics


def build_intents_panel(services) -> None:
    """Called inside an open gr.Blocks (e.g. a tab of the operator console)."""
    nlu = getattr(services, "nlu", None)
    domains = _domains(nlu)
    default = getattr(getattr(services, "settings", None), "nlu_default_domain", None)
    default = default if default in domains else (domains[0] if domains else None)
    with gr.Column():
        gr.Markdown(t("intents_intro"))
        domain = gr.Dropdown(domains, value=default, label=t("intents_domain"),
                             allow_custom_value=True)
        with gr.Row():
            sentence = gr.Textbox(label=t("sentence"), placeholder=t("example_3"),
                                  scale=4)
            analyse = gr.Button(t("analyse"), scale=1)
        summary = gr.Markdown()
        details = gr.JSON(label=t("nlu_result"))
        with gr.Accordion(t("add_examples"), open=False):
            label = gr.Textbox(label=t("intent_label"), placeholder="track_order")
            lines = gr.Textbox(label=t("examples_per_line"), lines=4)
            add = gr.Button(t("add_examples"))
            upload = gr.File(label=t("import_intents"),
                             file_types=[".yml", ".yaml", ".zip", ".csv"], type="filepath")
            do_import = gr.Button(t("import_file"))
        retrain_button = gr.Button(t("retrain"), variant="primary")
        status = gr.Markdown()
        metrics = gr.JSON(label=t("training_metrics"))

    guard = partial(agent_only, services)  # protected mode: agents only
    analyse_handler = guard(partial(try_sentence, nlu=nlu))
    analyse.click(analyse_handler, [sentence, domain], [summary, details], api_visibility="private")
    sentence.submit(analyse_handler, [sentence, domain], [summary, details], api_visibility="private")
    add.click(guard(partial(add_examples, nlu=nlu)), [domain, label, lines], [status], api_visibility="private")
    do_import.click(guard(partial(import_file, nlu=nlu)), [domain, upload], [status], api_visibility="private")
    retrain_button.click(guard(partial(retrain, nlu=nlu)), [domain], [status, metrics], api_visibility="private")
