"""Classify Leaves (176 classes). So far: the synthetic sample in the exact download layout."""
