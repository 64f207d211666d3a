"""Write competitions/house_prices/schema.json: column order, kinds, NA rates, category levels and marginal
quantiles of the real Kaggle files. Summary statistics only; the sample generator draws from them.

Usage: python scripts/make_house_schema.py ../shared/data/ames-kaggle
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

NA = ["NA", ""]


def main(src: str) -> None:
    train = pd.read_csv(Path(src) / "train.csv", keep_default_na=False, na_values=NA)
    test = pd.read_csv(Path(src) / "test.csv", keep_default_na=False, na_values=NA)
    logp = np.log(train["SalePrice"])
    columns = []
    for name in train.columns:
        col = train[name]
        entry = {"name": name, "na_train": round(float(col.isna().mean()), 4),
                 "na_test": round(float(test[name].isna().mean()), 4) if name in test else 0.0}
        if pd.api.types.is_numeric_dtype(col):
            values = col.dropna()
            entry.update(kind="numeric", integer=bool(np.all(values == values.round())),
                         quantiles=[round(float(q), 2) for q in np.quantile(values, np.linspace(0, 1, 101))],
                         corr=round(float(col.rank().corr(logp.rank())), 3) if name != "SalePrice" else 1.0)
        else:
            freq = col.value_counts(normalize=True)
            effect = logp.groupby(col).mean()
            entry.update(kind="categorical",
                         levels={str(k): [round(float(v), 4), round(float((effect[k] - logp.mean()) / logp.std()), 3)]
                                 for k, v in freq.items()})
        columns.append(entry)
    out = Path(__file__).resolve().parents[1] / "competitions/house_prices/schema.json"
    out.write_text(json.dumps({"train_rows": len(train), "test_rows": len(test), "columns": columns}) + "\n")
    print(f"wrote {out} ({len(columns)} columns)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/ames-kaggle")
