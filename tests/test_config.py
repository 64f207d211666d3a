import json

import pytest

from competitions.house_prices.config import HouseConfig
from kaggle_kit.config import load_config, parse_overrides, parse_value
from kaggle_kit.errors import UserError
from kaggle_kit.paths import CONFIGS_DIR
from kaggle_kit.pipeline.runs import run_fingerprint


def write(path, text):
    path.write_text(text)
    return path


def test_parse_values_and_nested_overrides():
    assert parse_value("1e-3") == 0.001 and parse_value("3") == 3 and parse_value("true") is True
    assert parse_value("[512,256]") == [512, 256] and parse_value("adamw") == "adamw"
    assert parse_overrides("lr=0.5 mlp.hidden=[8] mlp.dropout=0") == {
        "lr": 0.5, "mlp": {"hidden": [8], "dropout": 0}}


@pytest.mark.parametrize("bad", ["lr", "=3", "mlp..hidden=3", "lr=1 lr.x=2"])
def test_malformed_overrides(bad):
    with pytest.raises(UserError):
        parse_overrides(bad)


def test_overrides_are_typed_and_applied(tmp_path):
    cfg = load_config(HouseConfig, CONFIGS_DIR / "house.yaml", CONFIGS_DIR, "lr=2e-3 epochs=7 mlp.hidden=[8,4]")
    assert cfg.lr == 0.002 and cfg.epochs == 7 and cfg.mlp.hidden == [8, 4]
    assert cfg.mlp.dropout == 0.1  # untouched nested keys keep the file's value


@pytest.mark.parametrize("args, words", [
    ("lrr=0.1", ["unknown config key 'lrr'", "did you mean 'lr'"]),
    ("mlp.hiden=[3]", ["unknown config key 'mlp.hiden'", "mlp.hidden"]),
    ("epochs=abc", ["config key 'epochs'", "integer"]),
    ("epochs=1.5", ["config key 'epochs'"]),
    ("lr=fast", ["config key 'lr'"]),
    ("optimizer=adamax", ["config key 'optimizer'"]),
    ("folds=1", ["config key 'folds'"]),
    ("mlp.hidden=12", ["config key 'mlp.hidden'"]),
])
def test_bad_keys_and_types_name_the_key(args, words):
    with pytest.raises(UserError) as e:
        load_config(HouseConfig, CONFIGS_DIR / "house.yaml", CONFIGS_DIR, args)
    for w in words:
        assert w in str(e.value)


def test_extends_looks_up_base_in_configs_dir_from_anywhere(tmp_path):
    copy = write(tmp_path / "my-exp.yaml", "extends: house\nlr: 0.25\nmlp:\n  dropout: 0.3\n")
    cfg = load_config(HouseConfig, copy, CONFIGS_DIR)
    base = load_config(HouseConfig, CONFIGS_DIR / "house.yaml", CONFIGS_DIR)
    assert cfg.lr == 0.25 and cfg.mlp.dropout == 0.3
    assert cfg.mlp.hidden == base.mlp.hidden and cfg.epochs == base.epochs


def test_extends_errors(tmp_path):
    write(tmp_path / "a.yaml", "extends: b\n")
    write(tmp_path / "b.yaml", "extends: a\n")
    with pytest.raises(UserError, match="extends itself"):
        load_config(HouseConfig, tmp_path / "a.yaml", tmp_path)
    with pytest.raises(UserError, match="does not exist"):
        load_config(HouseConfig, write(tmp_path / "c.yaml", "extends: nope\n"), tmp_path)
    with pytest.raises(UserError, match="not valid YAML at line 2"):
        load_config(HouseConfig, write(tmp_path / "d.yaml", "lr: 1\n  x: [\n"), tmp_path)
    with pytest.raises(UserError, match="does not exist"):
        load_config(HouseConfig, tmp_path / "missing.yaml", tmp_path)


def test_fingerprint_ignores_execution_and_prediction_keys():
    base = load_config(HouseConfig, CONFIGS_DIR / "house.yaml", CONFIGS_DIR)
    same = load_config(HouseConfig, CONFIGS_DIR / "house.yaml", CONFIGS_DIR,
                       "devices=2 num_workers=4 progress_bar=false ensemble=median accelerator=cpu")
    other = load_config(HouseConfig, CONFIGS_DIR / "house.yaml", CONFIGS_DIR, "mlp.dropout=0.2")
    assert run_fingerprint(base, "d")["hash"] == run_fingerprint(same, "d")["hash"]
    assert run_fingerprint(base, "d")["hash"] != run_fingerprint(other, "d")["hash"]
    assert run_fingerprint(base, "d")["hash"] != run_fingerprint(base, "e")["hash"]


def test_fingerprint_holds_only_the_learner_in_use():
    def fp(config, args=""):
        return run_fingerprint(load_config(HouseConfig, CONFIGS_DIR / config, CONFIGS_DIR, args), "d")["hash"]
    for config in ("house-gbdt.yaml", "house.yaml"):                  # another learner's section: same run
        assert fp(config) == fp(config, "catboost.depth=6")
    assert fp("house-catboost.yaml") != fp("house-catboost.yaml", "catboost.depth=6")
    assert fp("house-gbdt.yaml") == fp("house-gbdt.yaml", "epochs=3")   # the MLP's training keys too


def config_classes():
    from kaggle_kit.detection.config import DetectionConfig
    from kaggle_kit.tabular.config import TableConfig
    from kaggle_kit.vision.config import ImageClassifierConfig

    return [HouseConfig, TableConfig, ImageClassifierConfig, DetectionConfig]


def other_value(value):
    """A valid value of the same type beside `value` (None: no generic choice)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2 if value else 0.5
    if isinstance(value, list) and value and isinstance(value[0], (int, float)):
        return value[:-1] if len(value) > 1 else value * 2
    return None


def sections():
    """(config class, section, key, a new value) for one changeable key of every nested section of every kind."""
    from pydantic import BaseModel

    out = []
    for cls in config_classes():
        for name, f in cls.model_fields.items():
            if not isinstance(f.default, BaseModel):
                continue
            values = f.default.model_dump()
            key = next((k for k, v in values.items() if other_value(v) is not None), None)
            if key is None:                          # a section of nulls (aug): set its first key to a number
                key = next(iter(values))
                out.append((cls, name, key, 0.5))
            else:
                out.append((cls, name, key, other_value(values[key])))
    return out


@pytest.mark.parametrize("cls, section, key, value", sections(),
                         ids=[f"{c.__name__}.{s}.{k}" for c, s, k, _ in sections()])
def test_one_nested_key_changes_that_key_alone(cls, section, key, value, tmp_path):
    """ARGS and `extends` both: the section's other keys keep the config class's values for it (TableConfig's
    gbdt differs from GBDTConfig's own defaults), and the fingerprint names the one key."""
    from kaggle_kit.config import changed_keys

    base_file = write(tmp_path / "base.yaml", "")
    write(tmp_path / "child.yaml", f"extends: base\n{section}:\n  {key}: {json.dumps(value)}\n")
    base = load_config(cls, base_file, tmp_path)
    expected = {**getattr(base, section).model_dump(), key: value}
    by_args = load_config(cls, base_file, tmp_path, f"{section}.{key}={json.dumps(value, separators=(',', ':'))}")
    by_extends = load_config(cls, tmp_path / "child.yaml", tmp_path)
    for cfg in (by_args, by_extends):
        assert getattr(cfg, section).model_dump() == expected
        assert changed_keys(base.model_dump(mode="json"), cfg.model_dump(mode="json")) == [f"{section}.{key}"]


def test_table_gbdt_override_keeps_the_tables_learning_rate(tmp_path):
    """The reported case: gbdt.n_estimators alone kept the table's learning_rate and num_leaves (0.03 / 31), not
    GBDTConfig's own (0.02 / 15)."""
    from kaggle_kit.tabular.config import TableConfig

    cfg = load_config(TableConfig, write(tmp_path / "t.yaml", "model: gbdt\n"), tmp_path, "gbdt.n_estimators=150")
    assert (cfg.gbdt.n_estimators, cfg.gbdt.learning_rate, cfg.gbdt.num_leaves) == (150, 0.03, 31)
    assert cfg.gbdt.early_stopping_rounds == 100


def test_a_top_level_key_of_a_section_is_suggested(tmp_path):
    from kaggle_kit.tabular.config import TableConfig

    with pytest.raises(UserError, match=r"unknown config key 'n_estimators' \(did you mean 'gbdt.n_estimators'"):
        load_config(TableConfig, write(tmp_path / "t.yaml", "model: gbdt\n"), tmp_path, "n_estimators=100")


def test_every_shipped_search_space_fits_the_config_it_is_for():
    """configs/spaces/: each key of each space, at its bounds, is a valid override of a config of its learner."""
    from kaggle_kit.paths import CONFIGS_DIR
    from kaggle_kit.registry import get_task
    from kaggle_kit.tuning.space import check_space, read_space

    bases = {"gbdt": ("house", "house-gbdt"), "catboost": ("house", "house-catboost"), "linear": ("house", "house-linear"),
             "svr": ("house", "house-svr"), "mlp": ("house", "house"), "image": ("leaves", "leaves")}
    spaces = sorted(p.stem for p in (CONFIGS_DIR / "spaces").glob("*.yaml"))
    assert spaces == sorted(bases)
    for name, (comp, config) in bases.items():
        task = get_task(comp)
        check_space(read_space(CONFIGS_DIR / "spaces" / f"{name}.yaml"), task.config_class,
                    CONFIGS_DIR / f"{config}.yaml", CONFIGS_DIR, [])
