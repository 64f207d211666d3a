"""A spec table's columns prepared for a learner, every encoder fitted on the fold's training rows only. The
column types (kaggle_kit.tabular.columns) say what each column becomes; the learner's `takes` says in which
form it gets them:

- `categories` (LightGBM): numbers; dates split into parts; categorical text as pandas categories of the levels
  the training rows hold (an unseen one is missing); high-cardinality text target-encoded; free text as the
  truncated SVD of its TF-IDF;
- `strings` (CatBoost): the same, but categorical and high-cardinality text as strings, which CatBoost encodes
  itself by ordered target statistics (its own cross-fitted target encoding);
- `numbers` (linear models, SVR, MLP, forests): one matrix of median-imputed standardised numbers and date
  parts, one-hot categorical text (an unseen level is all zeros), standardised target encodings, and free text
  as TF-IDF of words and character n-grams (the learner's `text = "tfidf"`: sparse, for linear models) or its
  truncated SVD (`text = "svd"`).

Target encoding is scikit-learn's TargetEncoder: `fit_transform` on the training rows cross-fits it (a row's
code never uses its own target), `transform` codes the validation and test rows by every training row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaggle_kit.tabular.columns import date_format, date_parts, has_time

TARGET_TYPE = {"regression": "continuous", "binary": "binary", "multiclass": "multiclass"}


def encoding_of(cfg):
    """The config's encoding section (a house-style config without one gets the defaults)."""
    from kaggle_kit.tabular.config import EncodingConfig

    return getattr(cfg, "encoding", None) or EncodingConfig()


def as_text(frame: pd.DataFrame, columns, missing: str):
    """The columns' values as strings, a missing one as `missing` (a one-column frame gives a Series)."""
    values = frame[columns].astype(object)
    return values.where(values.notna(), missing).astype(str)


def text_values(frame: pd.DataFrame, column: str) -> pd.Series:
    return as_text(frame, column, "")


def vectorizers(enc) -> dict:
    """Words (1-2 grams) and character 2-5 grams within words, each TF-IDF with sublinear counts."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    half = max(1, enc.tfidf_max_features // 2)
    return {"words": TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=half, sublinear_tf=True,
                                     dtype=np.float64),
            "chars": TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=half,
                                     sublinear_tf=True, dtype=np.float64)}


class TextEncoder:
    """One text column: its TF-IDF (sparse), or the truncated SVD of it (dense; the TF-IDF itself, densified,
    where its vocabulary is no larger than the components asked for), fitted on the training rows' values. The
    words and the characters are fitted apart: one without a vocabulary leaves the other."""

    def __init__(self, column: str, mode: str, enc, seed: int):
        self.column, self.mode, self.enc, self.seed = column, mode, enc, seed
        self.fitted, self.svd = {}, None

    def _tfidf(self, values: pd.Series):
        import scipy.sparse as sp

        return sp.hstack([v.transform(values) for v in self.fitted.values()], format="csr") if self.fitted else \
            sp.csr_matrix((len(values), 0))

    def fit_transform(self, frame: pd.DataFrame):
        values = text_values(frame, self.column)
        for name, vectorizer in vectorizers(self.enc).items():
            try:
                vectorizer.fit(values)
            except ValueError:                   # no term in at least min_df rows: nothing of this kind
                continue
            self.fitted[name] = vectorizer
        out = self._tfidf(values)
        if self.mode == "svd":
            k = min(self.enc.svd_components, out.shape[0] - 1)
            if out.shape[1] > self.enc.svd_components and k >= 1:
                from sklearn.decomposition import TruncatedSVD

                self.svd = TruncatedSVD(n_components=k, random_state=self.seed % 2**32)
                return self.svd.fit_transform(out)
            return out.toarray()
        return out

    def transform(self, frame: pd.DataFrame):
        out = self._tfidf(text_values(frame, self.column))
        if self.mode == "svd":
            return self.svd.transform(out) if self.svd is not None else out.toarray()
        return out

    @property
    def names(self) -> list[str]:
        if self.svd is not None:
            return [f"{self.column}.svd{k}" for k in range(self.svd.n_components)]
        return [f"{self.column}.{name}__{term}" for name, v in self.fitted.items()
                for term in v.get_feature_names_out()]


class Preparation:
    """fit(the training rows' frame, their target) -> their x; transform(any frame) -> x; names: x's columns.
    `takes` and `text` are the learner's (see the module's text); `data` gives each feature's type. Every level,
    code, format and vocabulary comes from the frame `fit` is given: the fold's training rows."""

    def __init__(self, takes: str, data, *, text: str = "svd", cfg=None, problem: str | None = None, seed: int = 0):
        self.takes, self.names = takes, None
        self.text_mode = "tfidf" if takes == "numbers" and text == "tfidf" else "svd"
        self.enc, self.problem, self.seed = encoding_of(cfg), problem, seed
        types = getattr(data, "types", None) or {c: ("categorical" if c in data.categorical else "numeric")
                                                 for c in data.features}
        self.of = {t: [c for c in data.features if types[c] == t]
                   for t in ("numeric", "categorical", "high_cardinality", "date", "text")}

    # the parts every form shares ---------------------------------------------------------------------------
    def _numeric(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = {c: pd.to_numeric(frame[c], errors="coerce").astype(float) for c in self.of["numeric"]}
        for c in self.of["date"]:
            out.update(date_parts(frame[c], c, self.hours[c], self.date_formats[c]).to_dict("series"))
        return pd.DataFrame(out, index=frame.index)

    def _fit_shared(self, frame: pd.DataFrame, y) -> None:
        self.seen = {c: sorted(frame[c].dropna().astype(str).unique()) for c in self.of["categorical"]}
        self.date_formats = {c: date_format(frame[c]) for c in self.of["date"]}
        self.hours = {c: has_time(frame[c], self.date_formats[c]) for c in self.of["date"]}
        self.texts = [TextEncoder(c, self.text_mode, self.enc, self.seed) for c in self.of["text"]]
        self.fitted_text = [t.fit_transform(frame) for t in self.texts]
        self.target_encoder = None
        if self.of["high_cardinality"] and self.takes != "strings":
            from sklearn.model_selection import KFold, StratifiedKFold
            from sklearn.preprocessing import TargetEncoder

            split = KFold if self.problem == "regression" else StratifiedKFold
            self.target_encoder = TargetEncoder(target_type=TARGET_TYPE[self.problem], smooth="auto",
                                                cv=split(5, shuffle=True, random_state=self.seed % 2**32))
            self.fitted_codes = self.target_encoder.fit_transform(self._levels(frame), y)

    def _levels(self, frame: pd.DataFrame) -> pd.DataFrame:
        return as_text(frame, self.of["high_cardinality"], "(missing)")

    def _codes(self, frame: pd.DataFrame, fitting: bool) -> np.ndarray | None:
        if self.target_encoder is None:
            return None
        return self.fitted_codes if fitting else self.target_encoder.transform(self._levels(frame))

    def _code_names(self) -> list[str]:
        return [] if self.target_encoder is None else [f"{n}.te" for n in
                                                       self.target_encoder.get_feature_names_out()]

    # the forms ---------------------------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame, y=None):
        self._fit_shared(frame, y)
        if self.takes != "numbers":
            return self._frame(frame, fitting=True)
        return self._matrix(frame, fitting=True)

    def transform(self, frame: pd.DataFrame):
        return self._frame(frame, fitting=False) if self.takes != "numbers" else self._matrix(frame, fitting=False)

    def _frame(self, frame: pd.DataFrame, fitting: bool) -> pd.DataFrame:
        """LightGBM's or CatBoost's frame: numbers, then text columns, then codes and text components."""
        parts = [self._numeric(frame)]
        texts = {}
        cats = self.of["categorical"] + (self.of["high_cardinality"] if self.takes == "strings" else [])
        for c in cats:
            if self.takes == "strings":
                texts[c] = frame[c].astype(str).fillna("nan")
            else:
                values = frame[c].astype("string").to_numpy(dtype=object)
                known = pd.Series(values).isin(self.seen[c]).to_numpy()
                texts[c] = pd.Categorical(np.where(known, values, None), categories=self.seen[c])
        parts.append(pd.DataFrame(texts, index=frame.index))
        codes = self._codes(frame, fitting)
        if codes is not None:
            parts.append(pd.DataFrame(codes, columns=self._code_names(), index=frame.index))
        for t, fitted in zip(self.texts, self.fitted_text, strict=True):
            parts.append(pd.DataFrame(fitted if fitting else t.transform(frame), columns=t.names, index=frame.index))
        out = pd.concat(parts, axis=1)
        self.names = list(out.columns)
        return out

    def _matrix(self, frame: pd.DataFrame, fitting: bool):
        """One numeric matrix (sparse where TF-IDF or one-hot makes it so)."""
        import scipy.sparse as sp

        blocks, names = [], []
        numeric = self._numeric(frame)
        if fitting:
            from sklearn.impute import SimpleImputer
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder, StandardScaler

            self.numeric_model = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                                               StandardScaler()) if numeric.shape[1] else None
            self.onehot = OneHotEncoder(handle_unknown="ignore") if self.of["categorical"] else None
            self.code_scaler = StandardScaler() if self.target_encoder is not None else None
        if self.numeric_model is not None:
            blocks.append(self.numeric_model.fit_transform(numeric) if fitting else self.numeric_model.transform(numeric))
            names += list(numeric.columns)
        if self.onehot is not None:
            cats = as_text(frame, self.of["categorical"], "(missing)")
            blocks.append(self.onehot.fit_transform(cats) if fitting else self.onehot.transform(cats))
            names += self.onehot.get_feature_names_out(self.of["categorical"]).tolist()
        codes = self._codes(frame, fitting)
        if codes is not None:
            blocks.append(self.code_scaler.fit_transform(codes) if fitting else self.code_scaler.transform(codes))
            names += self._code_names()
        for t, fitted in zip(self.texts, self.fitted_text, strict=True):
            blocks.append(fitted if fitting else t.transform(frame))
            names += t.names
        self.names = names
        if any(sp.issparse(b) for b in blocks):
            return sp.hstack([sp.csr_matrix(b) for b in blocks], format="csr")
        return np.hstack(blocks) if blocks else np.zeros((len(frame), 0))
