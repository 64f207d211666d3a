"""Drawn tables in four real Kaggle layouts (../shared/COMPETITIONS.md), for tests and benchmarks of the tabular
kind: a passenger list with a 0/1 label submission scored by accuracy, a Playground-style binary table with a
probability submission (AUC), a multiclass table with one probability column per class, and a regression table
of positive, skewed prices scored by RMSLE. Each target depends on its features, so a learner can beat chance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

LAYOUTS = ("passengers", "binary_probability", "multiclass", "prices", "loans")


def _write(dest: Path, train: pd.DataFrame, test: pd.DataFrame, sample: pd.DataFrame, sample_name: str) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    train.to_csv(dest / "train.csv", index=False)
    test.to_csv(dest / "test.csv", index=False)
    sample.to_csv(dest / sample_name, index=False)


def passengers(dest: Path, n_train: int = 420, n_test: int = 180, seed: int = 0) -> None:
    """train.csv PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked; test.csv the
    same without Survived; gender_submission.csv PassengerId,Survived with 0/1."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    pclass = rng.choice([1, 2, 3], n, p=[0.25, 0.2, 0.55])
    sex = rng.choice(["male", "female"], n, p=[0.64, 0.36])
    age = np.round(np.clip(rng.normal(30, 14, n), 0.4, 80), 1)
    fare = np.round(np.exp(rng.normal(3.6 - 0.6 * pclass, 0.5)), 4)
    logit = 2.4 * (sex == "female") - 0.9 * (pclass - 2) - 0.03 * (age - 30) - 0.4
    survived = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({
        "PassengerId": np.arange(1, n + 1), "Survived": survived, "Pclass": pclass,
        "Name": [f"Passenger{i}, Mr. A{i}" for i in range(n)], "Sex": sex,
        "Age": np.where(rng.random(n) < 0.2, np.nan, age), "SibSp": rng.poisson(0.5, n), "Parch": rng.poisson(0.4, n),
        "Ticket": [f"T{rng.integers(10000, 99999)}" for _ in range(n)], "Fare": fare,
        "Cabin": [f"C{rng.integers(1, 150)}" if rng.random() < 0.22 else np.nan for _ in range(n)],
        "Embarked": rng.choice(["S", "C", "Q", ""], n, p=[0.7, 0.19, 0.1, 0.01])})
    test = frame.iloc[n_train:].drop(columns="Survived")
    _write(dest, frame.iloc[:n_train], test, pd.DataFrame({"PassengerId": test["PassengerId"],
                                                           "Survived": (test["Sex"] == "female").astype(int)}),
           "gender_submission.csv")


def _features(rng: np.random.Generator, n: int, k: int = 6) -> tuple[pd.DataFrame, np.ndarray]:
    x = rng.normal(size=(n, k))
    frame = pd.DataFrame({f"f{j}": np.round(x[:, j], 4) for j in range(k)})
    colour = rng.choice(["red", "green", "blue"], n)
    frame["colour"] = colour
    return frame, x[:, 0] - 0.8 * x[:, 1] + 0.5 * x[:, 2] * x[:, 3] + 0.7 * (colour == "red")


def binary_probability(dest: Path, n_train: int = 600, n_test: int = 300, seed: int = 1, k: int = 6) -> None:
    """train.csv id,f0..f<k-1>,colour,target (0/1); test.csv without target; sample_submission.csv id,target =
    0.5."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    x, signal = _features(rng, n, k)
    target = (rng.random(n) < 1 / (1 + np.exp(-1.5 * signal))).astype(int)
    frame = pd.concat([pd.DataFrame({"id": np.arange(n)}), x, pd.DataFrame({"target": target})], axis=1)
    test = frame.iloc[n_train:].drop(columns="target")
    _write(dest, frame.iloc[:n_train], test, pd.DataFrame({"id": test["id"], "target": 0.5}), "sample_submission.csv")


def multiclass(dest: Path, n_train: int = 600, n_test: int = 300, seed: int = 2) -> None:
    """train.csv id,f0..f5,colour,target (Class_1..Class_4); sample_submission.csv id,Class_1..Class_4 = 0.25."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    x, signal = _features(rng, n)
    second = x["f4"].to_numpy()
    cls = 1 + (signal > 0.3).astype(int) + 2 * (second > 0).astype(int)
    cls = np.where(rng.random(n) < 0.15, rng.integers(1, 5, n), cls)
    frame = pd.concat([pd.DataFrame({"id": np.arange(100000, 100000 + n)}), x,
                       pd.DataFrame({"target": [f"Class_{c}" for c in cls]})], axis=1)
    test = frame.iloc[n_train:].drop(columns="target")
    sample = pd.DataFrame({"id": test["id"], **{f"Class_{c}": 0.25 for c in range(1, 5)}})
    _write(dest, frame.iloc[:n_train], test, sample, "sample_submission.csv")


def prices(dest: Path, n_train: int = 600, n_test: int = 300, seed: int = 3) -> None:
    """train.csv Id,f0..f5,colour,Price (positive, skewed); sample_submission.csv Id,Price."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    x, signal = _features(rng, n)
    price = np.round(np.exp(11 + 0.4 * signal + rng.normal(0, 0.15, n)), 2)
    frame = pd.concat([pd.DataFrame({"Id": np.arange(1, n + 1)}), x, pd.DataFrame({"Price": price})], axis=1)
    test = frame.iloc[n_train:].drop(columns="Price")
    _write(dest, frame.iloc[:n_train], test, pd.DataFrame({"Id": test["Id"], "Price": 180000.0}),
           "sample_submission.csv")


def loans(dest: Path, n_train: int = 600, n_test: int = 300, seed: int = 4) -> None:
    """A new user's table: train.csv loan_ref (string ids, not named id),opened (a date),branch (900 levels),
    purpose,notes (short free text),income,amount,term,risk (low/medium/high); sample_submission.csv
    loan_ref,low,medium,high: one probability column per class, not in alphabetical order."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    income = np.round(np.exp(rng.normal(10.6, 0.5, n)), 0)
    amount = np.round(np.exp(rng.normal(9.2, 0.7, n)), 0)
    term = rng.choice([12, 24, 36, 60], n)
    purpose = rng.choice(["car", "home", "education", "business", "other"], n)
    opened = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365, n), unit="D")
    words = np.array(["late", "steady", "new", "job", "repaid", "twice", "cosigner", "self-employed", "urgent"])
    notes = [" ".join(rng.choice(words, rng.integers(2, 6))) for _ in range(n)]
    late = np.array(["late" in t for t in notes])
    signal = (np.log(amount) - 0.8 * np.log(income) + 0.02 * term + 0.9 * late + 0.5 * (purpose == "business")
              + 0.15 * (opened.year - 2021))
    signal = signal - np.median(signal)
    risk = np.where(signal + rng.normal(0, 0.4, n) < -0.35, "low",
                    np.where(signal + rng.normal(0, 0.4, n) < 0.35, "medium", "high"))
    frame = pd.DataFrame({"loan_ref": [f"LN-{i:05d}" for i in rng.permutation(n)],
                          "opened": opened.strftime("%Y-%m-%d"), "branch": [f"B{b:03d}" for b in
                                                                            rng.integers(0, 900, n)],
                          "purpose": purpose, "notes": notes, "income": income, "amount": amount, "term": term,
                          "risk": risk})
    test = frame.iloc[n_train:].drop(columns="risk")
    sample = pd.DataFrame({"loan_ref": test["loan_ref"], "low": 1 / 3, "medium": 1 / 3, "high": 1 / 3})
    _write(dest, frame.iloc[:n_train], test, sample, "sample_submission.csv")


def draw(layout: str, dest: Path) -> Path:
    {"passengers": passengers, "binary_probability": binary_probability, "multiclass": multiclass,
     "prices": prices, "loans": loans}[layout](dest)
    return dest
