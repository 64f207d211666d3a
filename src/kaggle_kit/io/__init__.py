"""Files written whole or not at all, CSVs read with one set of errors, data fingerprints.

Light on purpose: importing the package loads nothing heavy; import the module you need."""
