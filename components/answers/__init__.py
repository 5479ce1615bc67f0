"""Answers a customer can trust: evidence selection, composition and verification (see composer.py).

    composer = AnswerComposer(knowledge, embedder.embed)
    answer = composer.compose("Do gift cards expire? And can I use them in stores?", "en")
    answer.reply, answer.mode, answer.to_trace()
"""
from components.answers.answer_verifier import Verdict, verify
from components.answers.composer import AnswerComposer, ComposedAnswer

__all__ = ["AnswerComposer", "ComposedAnswer", "Verdict", "verify"]
