"""LightningModules shared by the competitions."""
