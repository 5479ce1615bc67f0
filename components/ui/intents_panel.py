"""Intents panel: try a sentence (intent, confidence, sentiment, entities), add examples to a domain, import a Rasa
or Dialogflow export, retrain and see the result. Thin: every handler validates, calls services.nlu, formats."""
from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import gradio as gr
import pandas as pd

from components.nlu.importers import import_dialogflow, import_rasa
from components.nlu.intent_pack import read_examples
from components.ui.access import current_agent
from components.ui.i18n import STRINGS, request_language, say, t

MAX_IMPORT_BYTES = 50 * 1024 * 1024


def _domains(nlu) -> list[str]:
    return nlu.domains() if nlu is not None else []


def _need(nlu, language: str):
    if nlu is None:
        raise gr.Error(say("nlu_unavailable", language))
    return nlu


def _percent(p: float) -> str:
    return f"{p * 100:.0f}%"


def try_sentence(text: str, domain: str | None, *, nlu, language: str = "en") -> tuple[str, dict]:
    """A readable summary (in `language`) and the full NLU result for one sentence."""
    _need(nlu, language)
    if not (text or "").strip():
        raise gr.Error(say("type_sentence", language))
    try:
        result = nlu.parse(text, domain=domain or None)
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc
    emotions = ", ".join(say(f"emotion_{e}", language) if f"emotion_{e}" in STRINGS["en"] else e
                         for e in result.emotions)
    sentiment = f"sentiment_{result.sentiment}"
    summary = say("nlu_summary", language, intent=f"`{result.intent}`", confidence=_percent(result.confidence),
                  scope=say("nlu_out_of_scope", language) if result.out_of_scope else "",
                  domain=f"`{result.domain}`",
                  sentiment=say(sentiment, language) if sentiment in STRINGS["en"] else result.sentiment,
                  score=f"{result.sentiment_score:+.2f}",
                  emotions=say("nlu_emotions", language, emotions=emotions) if emotions else "",
                  lang=result.language,
                  entities=", ".join(f"{k} `{v}`" for k, v in result.entities.items()) or say("none", language),
                  ms=f"{result.timings_ms.get('total', 0):.1f}")
    return summary, result.to_dict()


def intents_table(details: dict, language: str = "en") -> pd.DataFrame:
    """The most likely intents of a sentence and their confidence, most likely first."""
    rows = [[label, _percent(p)] for label, p in details.get("top_intents") or []]
    return pd.DataFrame(rows, columns=[say("h_intent", language), say("h_confidence", language)])


METRIC_ROWS = ("domain", "examples", "labels", "holdout_accuracy", "train_seconds", "cached")


def metrics_table(metrics: dict, language: str = "en") -> pd.DataFrame:
    """Training metrics as (measure, value) rows a person reads; internal figures are left out."""
    def value(key, v):
        if isinstance(v, bool):
            return say("yes" if v else "no", language)
        if key == "holdout_accuracy" and isinstance(v, float):
            return f"{v:.1%}"
        return str(v)

    rows = [[say(f"m_{key}", language), value(key, metrics[key])] for key in METRIC_ROWS
            if metrics.get(key) is not None]
    return pd.DataFrame(rows, columns=[say("h_measure", language), say("h_value", language)])


def add_examples(domain: str, label: str, lines: str, *, nlu, language: str = "en") -> str:
    """Add one example per non-empty line under `label`; they count after Retrain."""
    _need(nlu, language)
    texts = [line.strip() for line in (lines or "").splitlines() if line.strip()]
    if not texts:
        raise gr.Error(say("write_examples", language))
    try:
        written = nlu.add_examples((domain or "").strip(), [(t, (label or "").strip()) for t in texts])
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc
    return say("examples_added", language, count=written, label=label.strip(), domain=domain.strip())


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


def import_file(domain: str, upload, *, nlu, language: str = "en") -> str:
    """Import a Rasa nlu.yml, a Dialogflow agent export (.zip) or a text,label CSV into `domain`."""
    _need(nlu, language)
    if upload is None:
        raise gr.Error(say("choose_file", language))
    path = Path(upload if isinstance(upload, (str, Path)) else getattr(upload, "name", ""))
    try:
        pairs = _read_upload(path)
        written = nlu.add_examples((domain or "").strip(), pairs)
    except (ValueError, zipfile.BadZipFile) as exc:
        raise gr.Error(str(exc)) from exc
    return say("examples_imported", language, count=written, labels=len({label for _, label in pairs}),
               name=path.name, domain=domain)


def retrain(domain: str, *, nlu, language: str = "en") -> tuple[str, dict]:
    """Retrain one domain; on failure the previous model keeps serving and the reason is shown."""
    _need(nlu, language)
    domain = (domain or "").strip()
    try:
        metrics = nlu.retrain(domain)
    except ValueError as exc:
        raise gr.Error(say("retrain_failed", language, domain=repr(domain), error=exc)) from exc
    held = metrics.get("holdout_accuracy")
    return say("domain_retrained", language, domain=domain, examples=metrics.get("examples"),
               labels=metrics.get("labels"), seconds=metrics.get("train_seconds", 0),
               held=say("held_out", language, accuracy=f"{held:.1%}") if isinstance(held, float) else "",
               cached=say("from_cache", language) if metrics.get("cached") else ""), metrics


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
        summary = gr.Markdown(elem_id="kefu-nlu-summary")
        # tables appear once filled (their headers are written in the session's language)
        details = gr.Dataframe(label=t("top_intents"), interactive=False, visible=False, elem_id="kefu-nlu-intents")
        with gr.Accordion(t("add_examples"), open=False):
            label = gr.Textbox(label=t("intent_label"), placeholder="track_order")
            lines = gr.Textbox(label=t("examples_per_line"), lines=4)
            add = gr.Button(t("add_examples"))
            upload = gr.File(label=t("import_intents"),
                             file_types=[".yml", ".yaml", ".zip", ".csv"], type="filepath")
            do_import = gr.Button(t("import_file"))
        retrain_button = gr.Button(t("retrain"), variant="primary")
        status = gr.Markdown()
        metrics = gr.Dataframe(label=t("training_metrics"), interactive=False, visible=False,
                               elem_id="kefu-nlu-metrics")

    # closures Gradio can read (the request gives the agent check and the browser's language)
    def analysed(text: str, domain_name: str, request: gr.Request):
        current_agent(services, request)  # protected mode: agents only
        language = request_language(request)
        words, result = try_sentence(text, domain_name, nlu=nlu, language=language)
        return words, gr.Dataframe(intents_table(result, language), visible=True)

    def added(domain_name: str, intent: str, examples: str, request: gr.Request):
        current_agent(services, request)
        return add_examples(domain_name, intent, examples, nlu=nlu, language=request_language(request))

    def imported(domain_name: str, path, request: gr.Request):
        current_agent(services, request)
        return import_file(domain_name, path, nlu=nlu, language=request_language(request))

    def retrained(domain_name: str, request: gr.Request):
        current_agent(services, request)
        language = request_language(request)
        words, result = retrain(domain_name, nlu=nlu, language=language)
        return words, gr.Dataframe(metrics_table(result, language), visible=True)

    analyse.click(analysed, [sentence, domain], [summary, details], api_visibility="private")
    sentence.submit(analysed, [sentence, domain], [summary, details], api_visibility="private")
    add.click(added, [domain, label, lines], [status], api_visibility="private")
    do_import.click(imported, [domain, upload], [status], api_visibility="private")
    retrain_button.click(retrained, [domain], [status, metrics], api_visibility="private")
