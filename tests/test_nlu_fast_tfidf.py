"""The per-turn tf-idf rows (components/nlu/fast_tfidf.py) equal sklearn's, for every vectorizer the NLU uses."""
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from components.nlu import fast_tfidf
from components.nlu.intent_classifier import _jieba_words, pinyin_syllables
from components.nlu.sentiment_model import jieba_words_and_pairs

TRAIN = ["where is my order", "I want to cancel my order!!", "cancel cancel cancel", "refund please, it's broken",
         "我想查询我的订单状态", "我要退货", "退款要多久？", "太慢了，还没收到", "how long does delivery take",
         "My Order #W2611340 never arrived", "订单 订单"]
TURNS = ["where is my ORDER", "an unseen zebra", "", "我的订单太慢了", "cancel my order order order", "🙂"]


@pytest.mark.parametrize("vectorizer", [
    TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32),
    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32),
    TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, dtype=np.float32),
    TfidfVectorizer(analyzer=jieba_words_and_pairs, sublinear_tf=True, dtype=np.float32),
    TfidfVectorizer(tokenizer=_jieba_words, token_pattern=None, ngram_range=(1, 2), sublinear_tf=True,
                    dtype=np.float32),
    # the Chinese intent route's blocks: term frequencies without idf
    TfidfVectorizer(analyzer="char", ngram_range=(1, 4), sublinear_tf=True, use_idf=False, dtype=np.float32),
    TfidfVectorizer(tokenizer=pinyin_syllables, token_pattern=None, ngram_range=(1, 3), sublinear_tf=True,
                    use_idf=False, dtype=np.float32),
    TfidfVectorizer(ngram_range=(1, 1)),  # another configuration: handed to sklearn
])
def test_rows_equal_sklearns(vectorizer):
    vectorizer.fit(TRAIN)
    fast, slow = fast_tfidf.transform(vectorizer, TURNS), vectorizer.transform(TURNS)
    assert fast.shape == slow.shape
    assert np.allclose(fast.toarray(), slow.toarray(), atol=1e-6)
