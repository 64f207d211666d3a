"""The Kaggle round trip: download, submit with a record, leaderboard scores joined back to CV, bundles."""
