"""The tab bar: Gradio places each tab by its position among the children of gr.Tabs, so a component sitting
directly in gr.Tabs (the hidden inputs of an API endpoint) drew every visited tab after it twice. The UI refuses
to start with one (the browser test checks the bar itself)."""
from __future__ import annotations

import warnings

import gradio as gr
import pytest

from components.ui.app_ui import check_tabs_hold_only_tabs


def _blocks(stray: bool) -> gr.Blocks:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Gradio warns about the stray component too
        with gr.Blocks() as demo:
            with gr.Tabs():
                with gr.Tab("One"):
                    gr.Markdown("one")
                if stray:
                    gr.Button(visible=False)
                with gr.Tab("Two"):
                    gr.Markdown("two")
            gr.Textbox(visible=False)  # outside gr.Tabs: fine
    return demo


def test_tabs_holding_only_tabs_pass():
    check_tabs_hold_only_tabs(_blocks(stray=False))


def test_a_component_between_tabs_is_refused_with_its_name():
    with pytest.raises(RuntimeError, match="Button in Tabs"):
        check_tabs_hold_only_tabs(_blocks(stray=True))
