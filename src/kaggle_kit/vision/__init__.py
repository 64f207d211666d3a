"""Images: decoding, the decoded-once cache, perceptual-hash duplicates, classification TTA and the classification LightningModule.

Light on purpose: importing the package loads nothing heavy; import the module you need."""
