"""House Prices (Ames): k-fold MLP on the d2l features, predicting log(SalePrice)."""
