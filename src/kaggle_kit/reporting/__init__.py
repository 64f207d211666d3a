"""Reading runs back: the leaderboard, per-run plots and the one-page HTML report.

Light on purpose: importing the package loads nothing heavy; import the module you need."""
