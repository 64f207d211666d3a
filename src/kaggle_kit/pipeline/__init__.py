"""The competition-independent pipeline: fold assignment, the k-fold loop, run identity, prediction storage, submissions.

Light on purpose: importing the package loads nothing heavy; import the module you need."""
