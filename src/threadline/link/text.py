"""Narrative similarity: TF-IDF cosine between two records' free text.

TF-IDF weighting (Salton & Buckley 1988, *Information Processing & Management* 24(5)) with
sub-linear term frequency, word unigrams and bigrams, fitted on the run's own narratives, so no
model is downloaded and the vocabulary is the force's own ("posing as from the water board").
Words that appear in nearly every narrative ("found", "aged") weigh little; phrases shared by a
few records weigh much. Cosine similarity of two L2-normalised TF-IDF rows is their dot product,
computed for all candidate pairs at once as a row-wise product of two sparse matrices.

scikit-learn's :class:`~sklearn.feature_extraction.text.TfidfVectorizer` does the weighting.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd


def tfidf_matrix(texts: list[str], *, fit_on: list[str] | None = None):
    """L2-normalised TF-IDF rows (SciPy CSR) for ``texts``; an empty text gives an all-zero row.

    ``fit_on``: the texts to learn the vocabulary and weights from (default ``texts``); a sample is
    enough for a large record set, and only the records that are compared need transforming.
    """
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import TfidfVectorizer

    corpus = texts if fit_on is None else fit_on
    if not any(t.strip() for t in corpus):
        return csr_matrix((len(texts), 1))
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_df=0.5,
                                 stop_words="english", dtype=np.float32)
    try:
        vectorizer.fit(corpus)
    except ValueError:  # every word too common or too rare (tiny inputs)
        vectorizer = TfidfVectorizer(ngram_range=(1, 1), sublinear_tf=True, dtype=np.float32)
        try:
            vectorizer.fit(corpus)
        except ValueError:
            return csr_matrix((len(texts), 1))
    return vectorizer.transform(texts).tocsr()


def pair_cosine(matrix, i: np.ndarray, j: np.ndarray, chunk: int = 500_000) -> np.ndarray:
    """Cosine similarity of rows ``i[k]`` and ``j[k]`` of an L2-normalised sparse matrix, for every k."""
    out = np.zeros(len(i), dtype=float)
    for start in range(0, len(i), chunk):
        a = matrix[i[start:start + chunk]]
        b = matrix[j[start:start + chunk]]
        out[start:start + chunk] = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    return np.clip(out, 0.0, 1.0)


#: Most narratives the vocabulary is learned from; beyond this, a fixed-seed random sample.
FIT_SAMPLE = 200_000


def narrative_similarity(con: duckdb.DuckDBPyConnection, a: pd.Series, b: pd.Series) -> np.ndarray:
    """TF-IDF cosine of the narratives of records ``a[k]`` and ``b[k]`` (ids in ``_lk_rec``).

    The weights are learned from every record's narrative (a random sample of :data:`FIT_SAMPLE` when
    there are more), and only the records that appear in a pair are transformed.
    """
    if len(a) == 0:
        return np.zeros(0)
    n = con.execute("SELECT count(*) FROM _lk_rec WHERE narrative <> ''").fetchone()[0]
    if n == 0:
        return np.zeros(len(a))
    fit_on = con.execute(
        f"SELECT narrative FROM _lk_rec WHERE narrative <> '' USING SAMPLE {FIT_SAMPLE} ROWS (reservoir, 42)"
        if n > FIT_SAMPLE else "SELECT narrative FROM _lk_rec WHERE narrative <> ''").df()["narrative"].tolist()
    ids = pd.Index(pd.unique(np.concatenate([a.to_numpy(), b.to_numpy()])))
    con.register("_lk_text_ids", pd.DataFrame({"rid": ids}))
    texts = con.execute("SELECT i.rid, coalesce(r.narrative, '') AS narrative FROM _lk_text_ids i "
                        "LEFT JOIN _lk_rec r USING (rid)").df().set_index("rid")["narrative"].reindex(ids)
    con.unregister("_lk_text_ids")
    matrix = tfidf_matrix(texts.fillna("").tolist(), fit_on=fit_on)
    return pair_cosine(matrix, ids.get_indexer(a.to_numpy()), ids.get_indexer(b.to_numpy()))
