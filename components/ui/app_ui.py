"""The one gr.Blocks: customer chat, knowledge base, analytics and operator console, all on the same services."""
from __future__ import annotations

import gradio as gr

from components.ui.analytics_tab import build_analytics_tab
from components.ui.chat_tab import build_chat_tab, chat_api, register_customer_api
from components.ui.console_tab import CONSOLE_CSS, KEYBOARD_JS, build_console_tab, register_agent_api
from components.ui.i18n import I18N, t
from components.ui.voice_input import register_voice_api

CSS = ("#kefu-chatbot details summary {cursor: pointer;}\n" + CONSOLE_CSS)


def build_ui(services) -> gr.Blocks:
    from components.ui.intents_panel import build_intents_panel
    from components.ui.knowledge_tab import build_knowledge_tab

    with gr.Blocks(title="kefu") as demo:
        gr.Markdown("## " + "客服 kefu", elem_id="kefu-title")
        # gr.Tabs holds nothing but tabs: Gradio's tab bar takes each tab's position among the children of gr.Tabs
        # as its place in the bar, so any other component there (the hidden inputs of an API endpoint) draws every
        # tab after it twice once visited
        with gr.Tabs():
            chat = build_chat_tab(services)
            with gr.Tab(t("tab_kb"), id="knowledge"):
                build_knowledge_tab(services)
                with gr.Accordion(t("intents_panel"), open=False):
                    build_intents_panel(services)
            build_analytics_tab(services)
            build_console_tab(services)
        register_customer_api(services)
        register_voice_api(services, chat.voice, chat_api)
        register_agent_api(services)
    check_tabs_hold_only_tabs(demo)
    return demo


def check_tabs_hold_only_tabs(demo: gr.Blocks) -> None:
    """Fail at start-up (and in tests) when a component sits directly in a gr.Tabs between its tabs."""
    stray = [f"{type(child).__name__} in {type(block).__name__}" for block in demo.blocks.values()
             if isinstance(block, gr.Tabs) for child in block.children if not isinstance(child, gr.Tab)]
    if stray:
        raise RuntimeError(f"components placed directly in gr.Tabs (put them in a gr.Tab or outside): {stray}")


def launch(demo: gr.Blocks, settings, **kwargs):
    from components.deployment.page_cache import middleware_kwargs

    demo.queue(default_concurrency_limit=settings.engine_max_batch, max_size=settings.engine_queue_limit * 4)
    # Gradio refuses a bigger upload while it streams in, before it is stored (the largest of our own limits)
    max_bytes = int(max(settings.upload_max_mb, settings.speech_max_upload_mb) * 1024 * 1024)
    return demo.launch(server_name=settings.server_name, server_port=settings.server_port, i18n=I18N, css=CSS,
                       head=KEYBOARD_JS, footer_links=["api"], max_file_size=max_bytes,
                       app_kwargs=middleware_kwargs(settings.page_cache), **kwargs)
