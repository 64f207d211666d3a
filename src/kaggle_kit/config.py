"""Config: YAML files that may `extend` a base config, `key=value` overrides, strict type-checking.

Every competition's config is a pydantic model deriving from TrainConfig; an unknown or mistyped key is an
error naming the key. Experiment configs hold only what differs from the config they extend.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import shlex
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kaggle_kit.errors import UserError


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class TrainConfig(StrictModel):
    """Keys every competition accepts. Execution keys change how a run executes, not what it learns."""

    EXECUTION_KEYS: ClassVar[frozenset[str]] = frozenset(
        {"accelerator", "devices", "num_nodes", "strategy", "num_workers", "progress_bar", "deterministic",
         "last_ckpt_every_s", "plots"})
    PREDICTION_KEYS: ClassVar[frozenset[str]] = frozenset({"ensemble"})
    LATER_KEYS: ClassVar[dict[str, Any]] = {"fold_repeats": 1, "svr.scale_target": False,
                                            "gbdt.extra_trees": False}   # keys (`section.key`)
    #   added after runs existed, with the value those runs had: left out of the fingerprint at it, so they keep
    #   their identity (one fold set: the runs from before fold_repeats)

    seed: int = 0
    fold_seed: int = 42
    folds: int = Field(5, ge=2)
    fold_repeats: int = Field(1, ge=1)           # fold sets (repeated k-fold), set r split by fold_seed + r; the
    #                                              score is their mean, test predictions average all of their models
    epochs: int = Field(100, ge=1)
    batch_size: int = Field(64, ge=1)
    lr: float = Field(1e-3, gt=0)
    optimizer: Literal["adamw", "adam", "sgd"] = "adamw"
    weight_decay: float = Field(0.0, ge=0)
    momentum: float = Field(0.9, ge=0, lt=1)
    schedule: Literal["cosine", "constant"] = "cosine"
    warmup_epochs: float = Field(0.0, ge=0)
    min_lr_ratio: float = Field(0.0, ge=0, le=1)
    grad_clip: float | None = Field(None, gt=0)
    checkpoint: Literal["best", "last"] = "best"
    last_ckpt_every_s: float = Field(60.0, ge=0)   # last.ckpt (what a killed fold resumes from) after the first
    #                                                epoch, then at most this often; 0: every epoch
    val_every: int = Field(1, ge=1)              # validate every n epochs (best: only those compete)
    precision: Literal["32-true", "32", "16-mixed", "bf16-mixed", "16-true", "bf16-true", "64-true"] = "32-true"
    ensemble: str = "mean"
    accelerator: Literal["auto", "cpu", "gpu", "cuda", "mps"] = "auto"
    devices: int | Literal["auto"] | list[int] = 1
    num_nodes: int = Field(1, ge=1)              # machines of one DDP run (SLURM: one task per device)
    strategy: str = "auto"                       # Lightning's: auto, ddp, ddp_find_unused_parameters_true, fsdp...
    num_workers: int = Field(0, ge=0)
    progress_bar: bool = True
    plots: bool = True                           # draw runs/<comp>/<exp>/plots/ once every fold is complete;
    #                                              false: the report draws them when first asked (a sweep skips them)
    deterministic: bool | None = None            # torch's deterministic algorithms; null: on for the CPU

    def fingerprint_dict(self) -> dict[str, Any]:
        """The training-relevant part of the config: prediction and execution keys left out."""
        skip = self.EXECUTION_KEYS | self.PREDICTION_KEYS
        body = {k: v for k, v in self.model_dump(mode="json").items() if k not in skip}
        for dotted, value in self.LATER_KEYS.items():
            section, _, key = dotted.partition(".")
            if not key:
                if body.get(section, value) == value:
                    body.pop(section, None)
            elif isinstance(body.get(section), dict) and body[section].get(key, value) == value:
                body[section] = {k: v for k, v in body[section].items() if k != key}
        return body

    def unused_keys(self) -> set[str]:
        """Keys (top-level names, or dotted `section.key`) that this config's run does not read: the report
        leaves them out of the config it shows."""
        return set()

    def used_dict(self) -> dict[str, Any]:
        """The config as the run read it: every key but unused_keys()."""
        unused = self.unused_keys()
        out = {}
        for k, v in self.model_dump(mode="json").items():
            if k in unused:
                continue
            out[k] = {kk: vv for kk, vv in v.items() if f"{k}.{kk}" not in unused} if isinstance(v, dict) else v
        return out

    @property
    def total_folds(self) -> int:
        """The fold models of a run: fold k of repeat r is number r * folds + k (its folder fold<r*folds+k>)."""
        return self.folds * self.fold_repeats


def read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise UserError(f"config {path} does not exist; pass CONFIG=<file.yaml> or use one in configs/")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise UserError(f"config {path} is not valid YAML{where}; fix the file's syntax") from None
    if not isinstance(data, dict):
        raise UserError(f"config {path} must be a mapping of key: value lines")
    return data


def deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def resolve_extends(path: Path, configs_dir: Path, seen: tuple[Path, ...] = ()) -> dict:
    """Read `path`, merged over the config it `extends` (a stem looked up in configs_dir)."""
    if path.resolve() in seen:
        raise UserError(f"config {path} extends itself through {' -> '.join(p.stem for p in seen)}")
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise UserError(f"config {path}: 'extends' must be the stem of a config in {configs_dir}")
    base_path = Path(path).parent / f"{parent}.yaml"       # beside it first (a work root's configs/), then
    if not base_path.is_file():                              # the project's
        base_path = configs_dir / f"{parent}.yaml"
    if not base_path.is_file():
        raise UserError(f"config {path} extends '{parent}', but {base_path} does not exist")
    return deep_merge(resolve_extends(base_path, configs_dir, (*seen, path.resolve())), data)


def parse_value(text: str) -> Any:
    """YAML scalar/list parsing, plus floats PyYAML misses (`1e-3`)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str):
        try:
            return float(text)
        except ValueError:
            return value
    return value


def parse_overrides(args: str | list[str] | None) -> dict:
    """`"lr=0.01 model.hidden=[512,256]"` -> nested dict."""
    items = shlex.split(args) if isinstance(args, str) else list(args or [])
    out: dict = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key or any(not part for part in key.split(".")):
            raise UserError(f"override '{item}' is not key=value; write e.g. ARGS=\"lr=0.01 epochs=20\"")
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise UserError(f"override '{item}' sets inside '{part}', which is itself set to a value")
        node[leaf] = parse_value(text)
    return out


def _fields_at(model_cls: type[BaseModel], loc: tuple) -> list[str]:
    cls = model_cls
    for part in loc[:-1]:
        field = cls.model_fields.get(part) if isinstance(part, str) else None
        ann = getattr(field, "annotation", None)
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        cls = ann
    return list(cls.model_fields)


def _nested_matches(model_cls: type[BaseModel], loc: tuple) -> list[str]:
    """`section.key` for a key set at the top level that is a key of a nested section (n_estimators ->
    gbdt.n_estimators), exact matches first, then close ones."""
    if len(loc) != 1:
        return []
    keys = [f"{name}.{sub}" for name, f in model_cls.model_fields.items()
            if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)
            for sub in f.annotation.model_fields]
    exact = [k for k in keys if k.split(".", 1)[1] == loc[0]]
    if exact:
        return exact
    near = difflib.get_close_matches(str(loc[0]), [k.split(".", 1)[1] for k in keys], n=1)
    return [k for k in keys if k.split(".", 1)[1] in near]


def format_validation_error(err: ValidationError, model_cls: type[BaseModel]) -> str:
    lines = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and "[" in p))
        key = ".".join(str(p) for p in loc)
        if e["type"] == "extra_forbidden":
            near = difflib.get_close_matches(str(loc[-1]), _fields_at(model_cls, loc), n=1)
            inside = _nested_matches(model_cls, loc)
            hint = (f" (did you mean '{'.'.join([*map(str, loc[:-1]), near[0]])}'?)" if near else
                    f" (did you mean {' or '.join(repr(k) for k in inside)}?)" if inside else "")
            lines.append(f"unknown config key '{key}'{hint}")
        elif not key:
            lines.append(f"config: {e['msg'].removeprefix('Value error, ')}")
        else:
            lines.append(f"config key '{key}': {e['msg']} (got {e.get('input')!r})")
    return "; ".join(lines)


def with_section_defaults(model_cls: type[BaseModel], data: dict) -> dict:
    """`data` with every nested section it sets merged over that field's default instance, so that setting
    one key of a section (`gbdt.n_estimators=150`, or `gbdt: {n_estimators: 150}` in a config that extends
    another) changes that key alone: pydantic would otherwise build the section from its class's defaults,
    which a config class may set differently (TableConfig's `gbdt` is not GBDTConfig())."""
    out = dict(data)
    for name, field in model_cls.model_fields.items():
        default, given = field.default, out.get(name)
        if isinstance(default, BaseModel) and isinstance(given, dict):
            out[name] = deep_merge(default.model_dump(), given)
    return out


def validate(model_cls: type[TrainConfig], data: dict) -> TrainConfig:
    try:
        return model_cls.model_validate(with_section_defaults(model_cls, data))
    except ValidationError as e:
        raise UserError(format_validation_error(e, model_cls)) from None


def load_config(model_cls: type[TrainConfig], path: Path, configs_dir: Path,
                overrides: str | list[str] | None = None) -> TrainConfig:
    data = deep_merge(resolve_extends(Path(path), configs_dir), parse_overrides(overrides))
    return validate(model_cls, data)


def dump_yaml(cfg: BaseModel) -> str:
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)


def stable_hash(obj: Any, n: int = 16) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def changed_keys(old: dict, new: dict) -> list[str]:
    a, b = flatten(old), flatten(new)
    return sorted(k for k in a.keys() | b.keys() if a.get(k, "<unset>") != b.get(k, "<unset>"))
