"""Tables: tree, linear and kernel learners on a feature matrix, the regression LightningModule and its in-memory batches.

Light on purpose: importing the package loads nothing heavy; import the module you need."""
