"""Shared core of the Kaggle pipeline: configs, folds, k-fold training, ensembling, submissions."""

__version__ = "0.1.0"
