"""Hyperparameter search over CV with Optuna (`make tune`): search spaces, the study and its workers."""
