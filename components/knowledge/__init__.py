"""kefu's knowledge base: loaders, structure-following chunking, hybrid (Chroma + BM25) retrieval, curated answers.

    kb = KnowledgeBase(settings, embedder)
    kb.ensure_seeded(settings.kb_docs_dir)
    hits = kb.search("how long does a refund take?")      # hits[0].score < kb.min_score -> nothing relevant
    kb.curated_answer("How long does a refund take?")     # CuratedAnswer or None
"""
from components.knowledge.knowledge_base import KnowledgeBase
from components.knowledge.types import CuratedAnswer, Hit, IngestResult

__all__ = ["KnowledgeBase", "Hit", "CuratedAnswer", "IngestResult"]
