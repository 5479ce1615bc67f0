"""`python app.py [subcommand]`: serve the app (default), ingest documents, run evaluations and benchmarks.

Every subcommand other than `serve` prints JSON with --json (and a readable summary without it).
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from typing import Callable

from components.settings import Settings


def _print(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return
    for key, value in result.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value, ensure_ascii=False, default=str)
        print(f"{key}: {value}")


def _runner(module: str, function: str, **arg_names: str) -> Callable:
    """A subcommand that imports `module.function` only when run, calls it with the settings and the named
    command-line arguments (parameter="argparse dest"), and prints the returned dict."""
    def command(args: argparse.Namespace, settings: Settings) -> int:
        fn = getattr(importlib.import_module(module), function)
        _print(fn(settings, **{param: getattr(args, dest) for param, dest in arg_names.items()}), args.json)
        return 0

    return command


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from components.deployment.space_models import allow_hub_downloads, resolve_space_models

    resolved, note = resolve_space_models(settings)
    if resolved is not settings:
        allow_hub_downloads()  # before anything imports transformers
    settings = resolved
    from components.services import build_services

    services = build_services(settings)
    if note:
        services.startup.notes.append(note)
    services.warm_up_in_background()
    from components.ui.app_ui import build_ui, launch  # gradio imports while the model loads

    demo = build_ui(services)
    launch(demo, settings)
    return 0


def cmd_ingest(args, settings) -> int:
    from components.knowledge.eval import ingest_paths

    result = ingest_paths(settings, paths=args.paths, workspace=args.workspace)
    _print(result, args.json)
    return 0 if not any(r.get("status") == "error" for r in result.get("files", [])) else 1


cmd_eval_retrieval = _runner("components.knowledge.eval", "run_retrieval_eval", docs="docs", queries="queries", k="k")


_eval_intent_files = _runner("components.nlu.eval", "run_intent_eval", train="train", test="test",
                             text_col="text_col", label_col="label_col", oos_label="oos_label")
_eval_intent_workspace = _runner("components.workspaces.workspace_eval", "run_workspace_intent_eval",
                                 workspace="workspace", folds="folds")


def cmd_eval_intents(args, settings) -> int:
    if args.train and args.test:
        return _eval_intent_files(args, settings)
    if args.workspace:  # cross-validate the workspace's own packs
        return _eval_intent_workspace(args, settings)
    raise ValueError("Name --train and --test files, or a workspace (--workspace ID) to cross-validate its packs")


cmd_eval_intents_cv = _runner("components.nlu.eval", "run_intent_cv", data="data", folds="folds",
                              text_col="text_col", label_col="label_col")


cmd_eval_sentiment = _runner("components.nlu.eval", "run_sentiment_eval", test="test", text_col="text_col",
                             label_col="label_col")


cmd_eval_sentiment_holdout = _runner("components.nlu.eval", "run_sentiment_holdout", folds="folds",
                                     requests="requests")


cmd_nlu_pack_embeddings = _runner("components.nlu.embedding_pack", "build_embedding_pack")


cmd_eval_bias = _runner("components.nlu.bias_audit", "run_bias_audit", limit="limit")


def cmd_eval_dialogues(args, settings) -> int:
    from components.dialogue.dialogue_eval import run_dialogue_eval

    result = run_dialogue_eval(settings, scenarios=args.scenarios, ingest=args.ingest, workspace=args.workspace)
    _print(result, args.json)
    return 0 if result.get("failed", 1) == 0 else 1


cmd_eval_speech = _runner("components.speech.speech_eval", "run_speech_eval", audio_dir="audio_dir",
                          transcripts="transcripts", language="language")


cmd_bench_speech = _runner("components.speech.bench", "run_speech_bench", repeats="repeats")


def cmd_eval_answers(args, settings) -> int:
    from components.answers.eval import run_answer_eval

    perturb = [k.strip() for k in (args.perturb or "").split(",") if k.strip()]
    result = run_answer_eval(settings, scenarios=args.scenarios, ingest=args.ingest, workspace=args.workspace,
                             perturb=perturb, seed=args.seed)
    for run in result["perturbations"].values() if perturb else [result]:
        if not args.details:
            for scenario in run["scenarios"]:
                scenario["turns"] = [t for t in scenario["turns"] if t["verdict"] != "correct"]
    _print(result, args.json)
    return 0


def cmd_eval_desk(args, settings) -> int:
    from components.orders.desk_eval import run_desk_eval

    result = run_desk_eval(settings, tasks=args.tasks, desk_only=args.desk_only)
    _print(result, args.json)
    return 0 if result.get("failed", 1) == 0 else 1


cmd_bench_engine = _runner("components.engine.bench", "run_engine_bench", seconds_budget="seconds", only="only")


def cmd_bench_retrieval(args, settings) -> int:
    from components.knowledge.bench import run_retrieval_bench

    sizes = tuple(int(s) for s in args.sizes.split(","))
    _print(run_retrieval_bench(settings, sizes=sizes, seconds_budget=args.seconds), args.json)
    return 0


def cmd_agents_add(args, settings) -> int:
    import getpass

    from components.console.agent_accounts import AgentAccounts

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Repeat it: ") != password:
            raise ValueError("The two passwords differ; nothing was changed")
    accounts = AgentAccounts(settings.database)
    try:
        accounts.add(args.name, password, workspace=args.workspace, role=args.role)
    finally:
        accounts.close()
    _print({"added": args.name, "workspace": args.workspace, "role": args.role, "protected_mode": True}, args.json)
    return 0


def cmd_agents_grant(args, settings) -> int:
    from components.console.agent_accounts import AgentAccounts

    accounts = AgentAccounts(settings.database)
    try:
        if args.revoke:
            done = accounts.revoke(args.name, args.workspace)
        else:
            accounts.grant(args.name, args.workspace, args.role)
            done = True
        _print({"agent": args.name, "roles": accounts.roles(args.name), "changed": done}, args.json)
    finally:
        accounts.close()
    return 0


def cmd_agents_list(args, settings) -> int:
    from components.console.agent_accounts import AgentAccounts

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    accounts = AgentAccounts(settings.database)
    try:
        _print({"agents": {name: accounts.roles(name) for name in accounts.names()},
                "protected_mode": accounts.protected}, args.json)
    finally:
        accounts.close()
    return 0


def cmd_bench_load(args, settings) -> int:
    from components.benchmarks.load_bench import run_load_bench

    result = run_load_bench(settings, users=args.users, turns=args.turns, url=args.url, seconds_budget=args.seconds,
                            database=args.database, ramp_s=args.ramp)
    _print(result, args.json)
    return 0 if result["errors"] == 0 and not result["lost"] else 1


cmd_export = _runner("components.analytics.export", "run_export", fmt="format", out="out")


cmd_demo_history = _runner("components.analytics.demo_history", "run_demo_history",
                           conversations="conversations")


cmd_bench_analytics = _runner("components.analytics.bench", "run_analytics_bench", messages="messages")


cmd_bench_console = _runner("components.ui.console_bench", "run_console_bench", conversations="conversations",
                            clicks="clicks")


cmd_forget = _runner("components.privacy.data_rights", "run_forget", customer="customer")


cmd_retention = _runner("components.privacy.data_rights", "run_retention", days="days")


def cmd_check_kb(args, settings) -> int:
    from components.workspaces.knowledge_check import run_kb_check

    result = run_kb_check(settings, workspace=args.workspace, repair=args.repair)
    _print(result, args.json)
    return 0 if result["ok"] or result.get("ok_after_repair") else 1


def cmd_serve_engine(args, settings) -> int:
    from components.engine_server.openai_server import run_engine_server

    return run_engine_server(settings, host=args.host, port=args.port)


cmd_db_upgrade = _runner("components.storage.database_copy", "run_db_upgrade", url="url")
cmd_db_copy = _runner("components.storage.database_copy", "run_db_copy", source="source", target="target")


cmd_workspaces_list = _runner("components.workspaces.folder_tools", "run_list")
cmd_workspaces_create = _runner("components.workspaces.folder_tools", "run_create", workspace="workspace", name="name")
cmd_workspaces_export = _runner("components.workspaces.folder_tools", "run_export", workspace="workspace", out="out")
cmd_workspaces_import = _runner("components.workspaces.folder_tools", "run_import", source="source",
                                replace="replace", new_id="new_id")


cmd_bench_nlu = _runner("components.nlu.eval", "run_nlu_latency", repeats="repeats")
cmd_bench_startup = _runner("components.benchmarks.startup_bench", "run_startup_bench", turns="turns",
                            fresh_cache="fresh_cache")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python app.py", description="kefu — LLM customer service (serves the "
                                     "app when no subcommand is given).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, fn: Callable, help_: str, parent=sub) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=fn)
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        return p

    add("serve", cmd_serve, "run the web app (the default)")
    p = add("serve-engine", cmd_serve_engine, "serve the engine as an OpenAI-compatible /v1/chat/completions "
            "(for app replicas with KEFU_ENGINE_BACKEND=openai)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for other machines)")
    p.add_argument("--port", type=int, default=8001)
    p = add("ingest", cmd_ingest, "add files or folders to the knowledge base")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--workspace", default=None, metavar="ID", help="a workspace's knowledge base (default: the shop's)")

    ev = sub.add_parser("eval", help="evaluations (retrieval, intents, sentiment, dialogues, desk, answers, speech, bias)").add_subparsers(
        dest="what", metavar="WHAT", required=True)
    p = add("retrieval", cmd_eval_retrieval, "retrieval recall@k / MRR on a fresh temporary knowledge base", ev)
    p.add_argument("--docs", required=True, help="JSONL with id,title,content per line")
    p.add_argument("--queries", required=True, help="JSONL with query and relevant (list of doc ids) per line")
    p.add_argument("--k", type=int, default=10)
    p = add("intents", cmd_eval_intents, "train an intent classifier on TRAIN.csv and score it on TEST.csv (or "
            "cross-validate a workspace's packs with --workspace ID)", ev)
    p.add_argument("--train", default=None)
    p.add_argument("--test", default=None)
    p.add_argument("--workspace", default=None, metavar="ID", help="cross-validate this workspace's intent packs")
    p.add_argument("--folds", type=int, default=5, help="with --workspace: folds of five held out in turn")
    p.add_argument("--text-col", default="text")
    p.add_argument("--label-col", default="label")
    p.add_argument("--oos-label", default=None)
    p = add("intents-cv", cmd_eval_intents_cv, "cross-validate the intent classifier on DATA.csv beside a "
            "character n-gram SVM", ev)
    p.add_argument("--data", required=True)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--text-col", default="text")
    p.add_argument("--label-col", default="label")
    p = add("sentiment", cmd_eval_sentiment, "score the shipped sentiment component on a labelled CSV "
            "(negative/neutral/positive, or negative/positive: scored negative vs non-negative)", ev)
    p.add_argument("--test", required=True)
    p.add_argument("--text-col", default="text")
    p.add_argument("--label-col", default="label")
    p = add("sentiment-holdout", cmd_eval_sentiment_holdout, "train the sentiment model without a held-out fold "
            "of each corpus and score it there (--folds 5: cross-validation)", ev)
    p.add_argument("--folds", type=int, default=1)
    p.add_argument("--requests", default=None, help="CSV of English customer requests that should read neutral")
    p = add("bias", cmd_eval_bias, "counterfactual audit: flip rates of intent, sentiment, handoff and "
            "out-of-scope under names, dialects, typos, scripts, politeness", ev)
    p.add_argument("--limit", type=int, default=60, help="base sentences per language")
    p = add("dialogues", cmd_eval_dialogues, "run scripted conversations through the full pipeline", ev)
    p.add_argument("--scenarios", default=None, help="YAML list of {name, turns: [{user, expect}]}")
    p.add_argument("--workspace", default=None, metavar="ID",
                   help="run in this workspace (without --scenarios: its own scenarios/*.yaml)")
    p.add_argument("--ingest", nargs="*", default=[], metavar="FILE",
                   help="documents to add to the temporary knowledge base first")
    p = add("speech", cmd_eval_speech, "word (en) or character (zh) error rate and real-time factor of voice input",
            ev)
    p.add_argument("--audio-dir", required=True, help="folder of audio clips")
    p.add_argument("--transcripts", required=True, help="CSV with columns file,text")
    p.add_argument("--language", required=True, choices=["en", "zh"], help="en scores WER, zh scores CER")
    p = add("answers", cmd_eval_answers, "free-form answers through the full pipeline: correct / abstained / wrong",
            ev)
    p.add_argument("--scenarios", default=None, help="YAML list of {name, turns: [{user, expect}]}")
    p.add_argument("--workspace", default=None, metavar="ID",
                   help="answer in this workspace (without --scenarios: its own scenarios/*.yaml)")
    p.add_argument("--ingest", nargs="*", default=[], metavar="FILE_OR_FOLDER",
                   help="documents (or folders of them) to add to the temporary knowledge base first")
    p.add_argument("--details", action="store_true", help="list every turn, not only those not answered correctly")
    p.add_argument("--perturb", default="", metavar="KIND[,KIND…]",
                   help="ask every turn as customers type: none (as written), typo, swap, delete, double, neighbour, "
                        "lower, chat, homophone, traditional (components/answers/wording_perturbations.py)")
    p.add_argument("--seed", type=int, default=0, help="the perturbations' seed")

    p = add("desk", cmd_eval_desk, "replay scripted order-desk conversations and compare the shop database with "
            "the gold actions' expected state, per task", ev)
    p.add_argument("--tasks", required=True, help="YAML/JSON list of {task, user_id, turns: [...], actions: [...]}")
    p.add_argument("--desk-only", action="store_true",
                   help="drive the order desk alone (keyword reading, no models) instead of the whole pipeline")

    be = sub.add_parser("bench", help="benchmarks that print numbers").add_subparsers(
        dest="what", metavar="WHAT", required=True)
    p = add("engine", cmd_bench_engine, "engine latency/throughput vs plain generate and llama.cpp", be)
    p.add_argument("--seconds", type=float, default=900, help="time budget")
    p.add_argument("--only", default=None, metavar="PARTS",
                   help="measure only these parts, comma-separated: single, threads, burst (8 at once), "
                        "concurrency (4, 8, 16 at once), conversations, plain, llama_cpp")
    p = add("retrieval", cmd_bench_retrieval, "ingestion throughput and query latency at 10k/100k chunks", be)
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--seconds", type=float, default=900, help="time budget")
    p = add("load", cmd_bench_load, "concurrent gradio_client customers against the running app", be)
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--turns", type=int, default=10)
    p.add_argument("--url", default=None, help="target a running app instead of starting one (replicas: URL1,URL2)")
    p.add_argument("--database", default=None, metavar="URL",
                   help="the running app's database, to count lost turns (e.g. its KEFU_DATABASE_URL)")
    p.add_argument("--seconds", type=float, default=900, help="time budget")
    p.add_argument("--ramp", type=float, default=0.0, metavar="SECONDS",
                   help="customers arrive spread evenly over this many seconds (0 = all at once)")
    p = add("startup", cmd_bench_startup, "cold and warm start time, and /chat latency", be)
    p.add_argument("--turns", type=int, default=16)
    p.add_argument("--reuse-cache", dest="fresh_cache", action="store_false",
                   help="use the models' cache (KEFU_CACHE_DIR): cold start is then a fresh data directory only")
    p = add("nlu", cmd_bench_nlu, "time one NLU turn (intent, sentiment, language, entities) on the shipped packs", be)
    p.add_argument("--repeats", type=int, default=5)
    p = add("analytics", cmd_bench_analytics, "dashboard refresh and export time on synthetic history", be)
    p.add_argument("--messages", type=int, default=100_000)
    p = add("console", cmd_bench_console, "operator console click latency with N conversations queued", be)
    p.add_argument("--conversations", type=int, default=200)
    p.add_argument("--clicks", type=int, default=60)
    p = add("speech", cmd_bench_speech, "speech model load time, real-time factor on 2 s / 10 s clips, and end of "
            "speech to the answer's first token", be)
    p.add_argument("--repeats", type=int, default=5)

    p = add("export", cmd_export, "export conversations and turns (with traces) as CSV or Parquet")
    p.add_argument("--format", choices=["csv", "parquet"], default="parquet")
    p.add_argument("--out", required=True, help="output folder")
    p = add("demo-history", cmd_demo_history, "fill the database with demo conversations run through the pipeline")
    p.add_argument("--conversations", type=int, default=40)
    p = add("forget", cmd_forget, "delete a customer's conversations, traces and vault entries")
    p.add_argument("--customer", required=True, metavar="EMAIL")
    p = add("retention", cmd_retention, "delete conversations older than N days")
    p.add_argument("--days", type=int, required=True)
    p = add("check-kb", cmd_check_kb, "check that Chroma, the keyword index and SQLite agree in every served "
                                      "workspace's knowledge base (and repair)")
    p.add_argument("--repair", action="store_true")
    p.add_argument("--workspace", default=None, metavar="ID", help="check this workspace's knowledge base only")

    db = sub.add_parser("db", help="the conversation database (schema migrations, copy between engines)"
                        ).add_subparsers(dest="what", metavar="WHAT", required=True)
    p = add("upgrade", cmd_db_upgrade, "apply pending schema migrations", db)
    p.add_argument("--url", default=None, help="database URL (default: KEFU_DATABASE_URL or the SQLite file)")
    p = add("copy", cmd_db_copy, "copy every table into an empty database and compare counts and checksums", db)
    p.add_argument("--from", dest="source", required=True, metavar="URL", help="e.g. sqlite:///data/kefu.sqlite3")
    p.add_argument("--to", dest="target", required=True, metavar="URL", help="e.g. postgresql://kefu@db/kefu")

    ag = sub.add_parser("agents", help="agent accounts (their existence turns on protected mode)").add_subparsers(
        dest="what", metavar="WHAT", required=True)
    p = add("add", cmd_agents_add, "create an agent account; asks for the password", ag)
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--workspace", default="shop", metavar="ID", help="the workspace the agent works in")
    p.add_argument("--role", default="agent", choices=["agent", "supervisor"])
    p = add("grant", cmd_agents_grant, "give an agent a role in a workspace (or --revoke it)", ag)
    p.add_argument("name")
    p.add_argument("workspace")
    p.add_argument("--role", default="agent", choices=["agent", "supervisor"])
    p.add_argument("--revoke", action="store_true")
    add("list", cmd_agents_list, "list agent accounts and their roles per workspace", ag)

    nl = sub.add_parser("nlu", help="the NLU's shipped training assets").add_subparsers(dest="what", metavar="WHAT",
                                                                                      required=True)
    add("pack-embeddings", cmd_nlu_pack_embeddings, "embed what a cold NLU start embeds and write it to "
        "assets/nlu/training_embeddings.npz (after changing a shipped pack or the sentiment corpora)", nl)

    ws = sub.add_parser("workspaces", help="the businesses this app serves (assets/workspaces/, "
                        "<data_dir>/workspaces/)").add_subparsers(dest="what", metavar="WHAT", required=True)
    add("list", cmd_workspaces_list, "served and available workspaces, and folders that do not load (why)", ws)
    p = add("create", cmd_workspaces_create, "a new workspace skeleton in <data_dir>/workspaces/ID to fill in", ws)
    p.add_argument("workspace", metavar="ID")
    p.add_argument("--name", default="", help="the business's name shown to customers")
    p = add("export", cmd_workspaces_export, "a workspace folder (with its documents and packs) as a zip", ws)
    p.add_argument("workspace", metavar="ID")
    p.add_argument("--out", required=True, help="the .zip file to write")
    p = add("import", cmd_workspaces_import, "check and add a workspace from a zip or a folder", ws)
    p.add_argument("source", metavar="ZIP_OR_FOLDER")
    p.add_argument("--id", dest="new_id", default=None, help="import under another id")
    p.add_argument("--replace", action="store_true", help="overwrite an imported workspace with the same id")
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from components.privacy.pii_redactor import install_log_redaction

    install_log_redaction()  # personal data never reaches a log line
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    from components.privacy.secret_log_filter import install_secret_masking

    install_secret_masking(settings)  # configured secrets never reach a log line either
    if getattr(args, "func", None) is None:
        return cmd_serve(args, settings)
    try:
        return args.func(args, settings)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
