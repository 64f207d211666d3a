"""Ensembles from saved predictions only: fold averages and votes, blends of experiments with rules tuned and scored out of fold.

Light on purpose: importing the package loads nothing heavy; import the module you need."""
