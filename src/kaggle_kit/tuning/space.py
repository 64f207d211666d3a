"""A search space: a YAML file of config keys (dotted, as ARGS takes them), each with one Optuna distribution:

    gbdt.learning_rate: {float: [0.005, 0.1], log: true}
    gbdt.num_leaves: {int: [4, 64]}
    mlp.hidden: {categorical: ["[256, 128]", "[512, 256]"]}

`float` and `int` take [low, high] and optionally `log: true` or `step:`; `categorical` takes its choices (a list
value is written as its YAML text, as ARGS writes it). Every key is checked against the base config's schema,
at its bounds, before any trial runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kaggle_kit.config import load_config
from kaggle_kit.errors import UserError

KINDS = ("float", "int", "categorical")


@dataclass(frozen=True)
class Dimension:
    key: str
    kind: str                 # float | int | categorical
    low: Any = None
    high: Any = None
    log: bool = False
    step: Any = None
    choices: tuple = ()

    def suggest(self, trial) -> Any:
        if self.kind == "categorical":
            return trial.suggest_categorical(self.key, list(self.choices))
        suggest = trial.suggest_float if self.kind == "float" else trial.suggest_int
        return suggest(self.key, self.low, self.high, log=self.log, **({"step": self.step} if self.step else {}))

    def extremes(self) -> list:
        return list(self.choices) if self.kind == "categorical" else [self.low, self.high]


def override(key: str, value: Any) -> str:
    """key=value as ARGS writes it."""
    return f"{key}={str(value).lower() if isinstance(value, bool) else value}"


def read_space(path: Path) -> list[Dimension]:
    if not path.is_file():
        raise UserError(f"search space {path} does not exist; pass SPACE=configs/spaces/<name>.yaml")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError:
        raise UserError(f"search space {path} is not valid YAML; fix its syntax") from None
    if not isinstance(data, dict) or not data:
        raise UserError(f"search space {path} must map config keys to distributions, e.g. "
                        "`gbdt.learning_rate: {float: [0.005, 0.1], log: true}`")
    return [dimension(str(key), spec, path) for key, spec in data.items()]


def dimension(key: str, spec, path: Path) -> Dimension:
    kinds = [k for k in KINDS if isinstance(spec, dict) and k in spec]
    extra = set(spec) - {*KINDS, "log", "step"} if isinstance(spec, dict) else set()
    if len(kinds) != 1 or extra:
        raise UserError(f"search space {path}: '{key}' must be one of {{float: [low, high]}}, {{int: [low, high]}} "
                        f"or {{categorical: [choices]}} (optionally with log: true or step:)"
                        + (f"; unknown: {', '.join(sorted(map(str, extra)))}" if extra else ""))
    kind, values = kinds[0], spec[kinds[0]]
    if isinstance(values, list):                       # YAML reads 1e-3 as text: numbers written so are numbers
        values = [number(v) for v in values] if kind != "categorical" else values
    if kind == "categorical":
        if not isinstance(values, list) or not values:
            raise UserError(f"search space {path}: '{key}' categorical needs a list of choices")
        return Dimension(key, kind, choices=tuple(v if isinstance(v, (str, int, float, bool)) else yaml.safe_dump(
            v, default_flow_style=True).strip() for v in values))
    if not (isinstance(values, list) and len(values) == 2 and all(isinstance(v, (int, float)) for v in values)
            and values[0] < values[1]):
        raise UserError(f"search space {path}: '{key}' {kind} needs [low, high] with low < high (got {values!r})")
    low, high = (float(v) for v in values) if kind == "float" else (int(v) for v in values)
    log, step = bool(spec.get("log", False)), number(spec.get("step"))
    try:                                               # Optuna's own checks of a distribution, before any trial
        from optuna.distributions import FloatDistribution, IntDistribution

        if kind == "float":
            FloatDistribution(low, high, log=log, step=step)
        else:
            IntDistribution(low, high, log=log, step=step if step is not None else 1)
    except (ValueError, TypeError) as e:
        raise UserError(f"search space {path}: '{key}': {e}") from None
    return Dimension(key, kind, low, high, log, step)


def number(value):
    """A YAML value as a number where it is one written as text (1e-3), else as it is."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def check_space(space: list[Dimension], config_class, base: Path, configs_dir: Path, args: list[str]) -> None:
    """Each key at each of its bounds (or choices) on the base config with ARGS: an unknown key or a bound the
    schema refuses is one line naming the key, before any trial runs."""
    for d in space:
        for value in d.extremes():
            try:
                load_config(config_class, base, configs_dir, [*args, override(d.key, value)])
            except UserError as e:
                raise UserError(f"search space key '{d.key}' = {value!r} does not fit {base.name}: {e}") from None
