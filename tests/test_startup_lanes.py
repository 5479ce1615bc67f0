"""Start-up's two lanes (components/services.py): the model loads while the intent classifiers train and the first
workspace's documents are indexed; KEFU_STARTUP_OVERLAP=0 runs them one after the other; a failure in either lane
fails start-up with its message."""
from __future__ import annotations

import os
import threading

import pytest

from components.services import EMBEDDER_STAGE, RETENTION_STAGE, Services
from components.settings import Settings

ENGINE, NLU, KB = "loading the language model", "loading the intent classifiers", "indexing the knowledge base"


class _Part:
    """start() waits (up to a timeout) for the other part to have started: only true overlap lets both finish
    quickly; run serially, the first one times out and says so."""

    def __init__(self, name: str, mine: threading.Event, other: threading.Event, log: list, fail: bool = False):
        self.name, self.mine, self.other, self.log, self.fail = name, mine, other, log, fail
        self.overlapped = None

    def start(self):
        self.log.append(f"{self.name} start")
        self.mine.set()
        self.overlapped = self.other.wait(2.0)
        if self.fail:
            raise RuntimeError(f"{self.name} broke")
        self.log.append(f"{self.name} end")


class _Knowledge:
    def __init__(self, log):
        self.log = log

    def ensure_seeded(self, docs, progress=None):
        progress(0.5, "half")
        self.log.append("kb")


class _Embedder:
    def __init__(self, log):
        self.log = log

    @property
    def dimension(self):
        self.log.append("embedder loaded")
        return 384


def _services(tmp_path, overlap: bool, fail: str | None = None):
    log: list[str] = []
    engine_started, nlu_started = threading.Event(), threading.Event()
    engine = _Part("engine", engine_started, nlu_started, log, fail=fail == "engine")
    nlu = _Part("nlu", nlu_started, engine_started, log, fail=fail == "nlu")
    settings = Settings(data_dir=tmp_path, startup_overlap=overlap)
    services = Services(settings, store=None, embedder=_Embedder(log), engine=engine, knowledge=_Knowledge(log), nlu=nlu,
                        shop=None, desk=None, dialogue=None, accounts=None, operators=None)
    return services, engine, nlu, log


def test_the_model_loads_while_the_classifiers_train(tmp_path):
    services, engine, nlu, log = _services(tmp_path, overlap=True)
    status = services.warm_up()
    assert status.ready and status.error is None
    assert engine.overlapped and nlu.overlapped
    assert log.index("nlu end") < log.index("kb")  # the documents are indexed after the classifiers (same lane)
    # weights are loaded in one thread at a time: the embedder before the lanes, so only the model lane loads any
    assert log[0] == "embedder loaded" and log.count("embedder loaded") == 1
    assert set(status.steps) == {EMBEDDER_STAGE, ENGINE, NLU, KB, RETENTION_STAGE}
    assert status.fraction == 1.0 and status.stage == "ready"


def test_one_after_the_other_when_overlap_is_off(tmp_path):
    services, engine, nlu, log = _services(tmp_path, overlap=False)
    status = services.warm_up()
    assert status.ready
    assert not engine.overlapped  # the engine waited 2 s for a classifier training that had not begun
    assert log == ["engine start", "engine end", "nlu start", "nlu end", "kb"]  # the embedder loads on first use
    assert list(status.steps) == [ENGINE, NLU, KB, RETENTION_STAGE]


@pytest.mark.parametrize("broken", ["engine", "nlu"])
def test_a_failing_lane_fails_start_up_with_its_message(tmp_path, broken):
    services, engine, nlu, log = _services(tmp_path, overlap=True, fail=broken)
    status = services.warm_up()
    assert not status.ready and status.error == f"{broken} broke"
    assert status.stage == f"failed: {broken} broke"
    other = "nlu" if broken == "engine" else "engine"
    assert f"{other} end" in log  # the other lane was not cut off half-way


def test_the_stage_line_names_both_running_stages(tmp_path):
    services, engine, nlu, log = _services(tmp_path, overlap=True)
    seen = []
    original = services.startup.update
    services.startup.update = lambda stage, fraction: (seen.append((stage, fraction)), original(stage, fraction))
    services.warm_up()
    assert any(ENGINE in stage and NLU in stage for stage, _ in seen)
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_after_start_up_what_the_first_question_would_wait_for_is_read(tmp_path):
    """The spelling vocabulary of the first business's documents (1-3 s) and, when its documents are in Chinese and
    English both, the Chinese-English dictionary (40 MB) are read in the background once the app is ready, not by
    the first question."""
    from components.answers.cross_language import dictionary

    read = []

    class Speller:
        def vocabulary(self):
            read.append("vocabulary")

    class Knowledge:
        def __init__(self, *languages):
            self.languages = languages

        def documents(self):
            return [{"doc_id": f"d{i}", "language": lang} for i, lang in enumerate(self.languages)]

    def services_over(knowledge):
        class Manager:
            answers = type("Answers", (), {"speller": Speller(), "knowledge": knowledge})()

        class Router:  # the workspaces' dialogue: manager() is the first business's
            def manager(self):
                return Manager()

        return Services(Settings(data_dir=tmp_path), store=None, embedder=None, engine=None, knowledge=None, nlu=None,
                        shop=None, desk=None, dialogue=Router(), accounts=None, operators=None)

    dictionary.cache_clear()
    for languages in (("en", "en"), ("zh",), ()):   # nothing for a Chinese question to search in English
        services_over(Knowledge(*languages))._warm_answers()
        assert dictionary.cache_info().currsize == 0
    services_over(Knowledge("en", "zh", "en"))._warm_answers()
    assert read == ["vocabulary"] * 4 and dictionary.cache_info().currsize == 1


def test_the_chinese_dictionarys_own_cost_is_measured():
    """`bench startup` reports what reading the dictionary ahead costs (a fresh interpreter's seconds and MB)."""
    from components.benchmarks.startup_bench import _resident_mb, dictionary_cost

    cost = dictionary_cost()
    assert cost["words"] > 100_000 and cost["load_s"] > 0 and 10 < cost["resident_mb"] < 500
    assert _resident_mb(os.getpid()) > 10 and _resident_mb(-1) is None


def test_the_first_business_answers_are_warmed_before_the_other_businesses(tmp_path, monkeypatch):
    """Once the app is ready its first questions arrive: the first business's spelling vocabulary (and dictionary,
    and Chinese tagger) are read before the other businesses are prepared, not after."""
    order = []

    class Workspaces:
        def prepare_others(self):
            order.append("other businesses")

    services = Services(Settings(data_dir=tmp_path), store=None, embedder=None, engine=None, knowledge=None, nlu=None,
                        shop=None, desk=None, dialogue=None, accounts=None, operators=None, workspaces=Workspaces())
    monkeypatch.setattr(services, "warm_up", lambda: services.startup.finish())
    monkeypatch.setattr(services, "_warm_answers", lambda: order.append("first business's answers"))
    services.warm_up_in_background().join(10)
    assert order == ["first business's answers", "other businesses"]


def test_the_chinese_tagger_is_read_ahead_for_chinese_documents(tmp_path):
    """A knowledge base with Chinese documents: jieba's part-of-speech tagger (~1.5 s to import and read its model;
    the answerability checks tag a Chinese question's nouns) is read in the background, not by the first Chinese
    question."""
    import sys

    from components.services import _has_chinese

    class Knowledge:
        def __init__(self, *languages):
            self.languages = languages

        def documents(self):
            return [{"doc_id": f"d{i}", "language": lang} for i, lang in enumerate(self.languages)]

    assert _has_chinese(Knowledge("en", "zh")) and not _has_chinese(Knowledge("en")) and not _has_chinese(object())

    class Router:
        def manager(self):
            return type("Manager", (), {"answers": type("Answers", (), {"speller": None,
                                                                        "knowledge": Knowledge("zh")})()})()

    sys.modules.pop("jieba.posseg", None)
    Services(Settings(data_dir=tmp_path), store=None, embedder=None, engine=None, knowledge=None, nlu=None, shop=None,
             desk=None, dialogue=Router(), accounts=None, operators=None)._warm_answers()
    assert "jieba.posseg" in sys.modules


def test_the_dictionary_is_read_once_when_a_question_needs_it_during_the_warm_up(monkeypatch):
    """The first Chinese question may need the dictionary while the background warm-up reads it (1-4 s): it waits
    for that read instead of reading it a second time on the same two cores."""
    import functools
    import time

    from components.answers import cross_language

    reads = []

    @functools.lru_cache(maxsize=1)
    def slow_read():
        reads.append(1)
        time.sleep(0.3)
        return {"退款": ["refund"]}

    monkeypatch.setattr(cross_language, "_read_dictionary", slow_read)
    cross_language.dictionary.cache_clear()
    try:
        threads = [threading.Thread(target=cross_language.dictionary) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert reads == [1] and cross_language.dictionary() == {"退款": ["refund"]}
    finally:
        cross_language.dictionary.cache_clear()
