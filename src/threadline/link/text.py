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


def tfidf_matrix(texts: list[str]):
    """L2-normalised TF-IDF rows (SciPy CSR) for ``texts``; an empty text gives an all-zero row."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not any(t.strip() for t in texts):
        from scipy.sparse import csr_matrix

        return csr_matrix((len(texts), 1))
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_df=0.5,
                                 stop_words="english", dtype=np.float32)
    try:
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # every word too common or too rare (tiny inputs)
        vectorizer = TfidfVectorizer(ngram_range=(1, 1), sublinear_tf=True, dtype=np.float32)
        return vectorizer.fit_transform(texts).tocsr()


def pair_cosine(matrix, i: np.ndarray, j: np.ndarray, chunk: int = 500_000) -> np.ndarray:
    """Cosine similarity of rows ``i[k]`` and ``j[k]`` of an L2-normalised sparse matrix, for every k."""
    out = np.zeros(len(i), dtype=float)
    for start in range(0, len(i), chunk):
        a = matrix[i[start:start + chunk]]
        b = matrix[j[start:start + chunk]]
        out[start:start + chunk] = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    return np.clip(out, 0.0, 1.0)


def narrative_similarity(con: duckdb.DuckDBPyConnection, a: pd.Series, b: pd.Series) -> np.ndarray:
    """TF-IDF cosine of the narratives of records ``a[k]`` and ``b[k]`` (ids in ``_lk_rec``)."""
    if len(a) == 0:
        return np.zeros(0)
    rec = con.execute("SELECT rid, narrative FROM _lk_rec").df()
    position = pd.Series(np.arange(len(rec)), index=rec["rid"])
    matrix = tfidf_matrix(rec["narrative"].fillna("").tolist())
    return pair_cosine(matrix, position.loc[a.to_numpy()].to_numpy(), position.loc[b.to_numpy()].to_numpy())
