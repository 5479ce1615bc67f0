"""kefu core: engine, knowledge, NLU, dialogue, order desk, storage, analytics. Never imports gradio (except ui/)."""
