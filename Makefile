# Kaggle pipeline. `make help` lists the targets. Variables:
#   DATA=<dir>     competition folder as unpacked from `kaggle competitions download -c <slug>`
#   CONFIG=<yaml>  experiment config (default configs/<comp>.yaml); the experiment name is its stem
#   ARGS="k=v .."  config overrides, dotted for nested keys (of a blend: select_steps)
#   FOLDS="0 2"    train only these folds
#   FORCE=1        retrain folds that are already complete / replace a run trained with other settings
#   EXPS="a b"     experiments to blend (config stems);  RULE=mean|select|weighted|stack|best (default: README)
#   EXP=<name>     experiment (config stem) of a report
#   COMP=<name>    competition of the generic targets (new, auto, train, submit, ...): any folder in competitions/
#   SPLIT=<name>   which test set to answer, where a competition has several (cowboy: valid, test)
#   BLEND=<name>   a blend to send or bundle (blend-a+b);  DRY=1  print the kaggle command, send nothing
#   METRIC= TARGET= ID= PROBLEM= SLUG=   what `make new` cannot read from the files (SLUG: Kaggle's competition)
#   TIME=<s>       make auto's budget in seconds: learners start only while it lasts; run again to continue
# A variable a target does not read is an error naming those it reads.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KIT := $(PY) -m kaggle_kit
DATA ?=
CONFIG ?=
ARGS ?=
FOLDS ?=
FORCE ?=
EXPS ?=
RULE ?=
EXP ?=
COMP ?=
SPLIT ?=
BLEND ?=
DRY ?=
TIME ?=
METRIC :=
TARGET :=
ID :=
PROBLEM :=
SLUG :=
export HF_HUB_OFFLINE ?= 0
export NO_ALBUMENTATIONS_UPDATE := 1

comma := ,
GLOBAL_VARS := PY PYTHON VENV HF_HUB_OFFLINE
given_vars = $(sort $(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),$(v))))
# `$(call takes,A B)` first in a recipe: a variable given on the command line that the target named on it does
# not read is an error naming what it reads, so a typo or another target's variable never passes silently
takes = $(if $(filter $@,$(MAKECMDGOALS)),$(if $(filter-out $(1) $(GLOBAL_VARS),$(given_vars)),$(error make $@ reads $(or $(1),no variables)$(comma) \
	not $(filter-out $(1) $(GLOBAL_VARS),$(given_vars)))))

COMMON = $(if $(DATA),--data "$(DATA)") $(if $(CONFIG),--config "$(CONFIG)") --args "$(ARGS)"
TRAIN_FLAGS = $(COMMON) --folds "$(FOLDS)" $(if $(filter-out 0,$(FORCE)),--force)

.PHONY: new auto train submit cv blend leaderboard report sample download kaggle-submit lb bundle help setup test lint bench bench-tables bench-real bench-noise bench-blend bench-ames bench-leaves-loop bench-house bench-leaves bench-cowboy study-cowboy house-sample house-train house-submit house-blend house-download house-kaggle-submit house-lb leaves-download leaves-kaggle-submit leaves-lb cowboy-download house-bundle leaves-bundle cowboy-bundle \
	house-leaderboard house-report house-cv leaves-cv cowboy-cv leaves-sample leaves-train leaves-submit leaves-blend leaves-leaderboard \
	leaves-report cowboy-sample cowboy-train cowboy-submit cowboy-blend cowboy-leaderboard cowboy-report

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-19s %s\n", $$1, $$2}'

setup: $(VENV)/.installed ## create .venv and install the project with its dev tools (idempotent)

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

test: ## run the whole test suite
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

lint: ## ruff over the project
	$(VENV)/bin/ruff check .

bench: bench-house bench-leaves bench-leaves-loop bench-cowboy bench-tables bench-real bench-noise bench-blend bench-ames ## every benchmark; figures go to docs/BENCHMARKS.md (DATA, CONFIG, TIME)
	@$(call takes,DATA CONFIG TIME)

bench-house: ## house k-fold speed against a plain loop, CV of every experiment (real Ames data in DATA)
	@$(call takes,DATA)
	$(PY) scripts/bench_house.py $(if $(DATA),--data "$(DATA)")

bench-noise: ## house learners at fold_repeats 1 and 3: each score's SE, paired differences, the blend rule picked (Ames in DATA)
	@$(call takes,DATA)
	$(PY) scripts/bench_cv_noise.py $(if $(DATA),--data "$(DATA)")

bench-ames: ## make new + make auto on the real Ames files (no hook) beside house's own five learners and blend (Ames in DATA)
	@$(call takes,DATA)
	$(PY) scripts/bench_ames_generic.py $(if $(DATA),--data "$(DATA)")

bench-blend: ## house's five learners blended by the default choice at fold_seed 42 and 7: every candidate's nested score (Ames in DATA)
	@$(call takes,DATA)
	$(PY) scripts/bench_blend_choice.py $(if $(DATA),--data "$(DATA)")

bench-tables: ## make new + make auto on each drawn table layout and a 10,000 x 25 table: CV beside a constant, time
	@$(call takes,)
	$(PY) scripts/bench_tables.py

bench-real: ## make auto TIME= on six real tables against a default LightGBM and AutoGluon best_quality (~1 h 15 min the first time; TIME)
	@$(call takes,TIME)
	$(PY) scripts/bench_real_tables.py $(if $(TIME),--time "$(TIME)")

bench-leaves: ## leaves loading/training/submit throughput against the in-memory ceiling, memory 1k->10k (CONFIG)
	@$(call takes,CONFIG)
	$(PY) scripts/bench_leaves.py $(if $(CONFIG),--config "$(CONFIG)")

bench-leaves-loop: ## leaves train + submit against a plain PyTorch + timm loop doing the same work (~15 min)
	@$(call takes,)
	$(PY) scripts/bench_leaves_loop.py

bench-cowboy: ## cowboy training/inference throughput against the in-memory ceiling (CONFIG)
	@$(call takes,CONFIG)
	$(PY) scripts/bench_cowboy.py $(if $(CONFIG),--config "$(CONFIG)")

study-cowboy: ## cowboy imbalance handling and detection TTA per class on the sample (~1 h; BEST="ARGS")
	@$(call takes,BEST)
	$(PY) scripts/study_cowboy.py $(if $(BEST),--best "$(BEST)")

need-comp:
	@test -n "$(COMP)" || { echo 'error: name the competition: COMP=<name> (make new COMP=<name> DATA=<dir> makes one)' >&2; exit 2; }

new: need-comp ## a spec and configs for COMP from the download in DATA (METRIC, TARGET, ID, PROBLEM, SLUG, FORCE)
	@$(call takes,COMP DATA METRIC TARGET ID PROBLEM SLUG FORCE)
	$(KIT) new "$(COMP)" --data "$(DATA)" $(if $(METRIC),--metric "$(METRIC)") $(if $(TARGET),--target "$(TARGET)") $(if $(ID),--id "$(ID)") $(if $(PROBLEM),--problem "$(PROBLEM)") $(if $(SLUG),--slug "$(SLUG)") $(if $(filter-out 0,$(FORCE)),--force)

auto: need-comp ## train every learner of COMP's spec, blend them, write submissions/<COMP>/auto.csv (DATA, ARGS, FORCE, TIME)
	@$(call takes,COMP DATA ARGS FORCE TIME)
	$(KIT) auto "$(COMP)" $(if $(DATA),--data "$(DATA)") --args "$(ARGS)" $(if $(filter-out 0,$(FORCE)),--force) $(if $(TIME),--time "$(TIME)")

train: need-comp ## k-fold training of any competition (COMP, DATA, CONFIG, ARGS, FOLDS, FORCE)
	@$(call takes,COMP DATA CONFIG ARGS FOLDS FORCE)
	$(KIT) train "$(COMP)" $(TRAIN_FLAGS)

submit: need-comp ## the submission of a trained run of any competition (COMP, DATA, CONFIG, ARGS, SPLIT)
	@$(call takes,COMP DATA CONFIG ARGS SPLIT)
	$(KIT) submit "$(COMP)" $(COMMON) $(if $(SPLIT),--split "$(SPLIT)")

cv: need-comp ## pool a run's folds into OOF + cv.json (COMP, CONFIG, ARGS, DATA)
	@$(call takes,COMP DATA CONFIG ARGS)
	$(KIT) cv "$(COMP)" $(COMMON)

blend: need-comp ## blend experiments of any competition: COMP=<name> EXPS="a b" [RULE=] [SPLIT=] [ARGS="select_steps=25"] (DATA)
	@$(call takes,COMP DATA EXPS RULE SPLIT ARGS)
	$(KIT) blend "$(COMP)" $(if $(DATA),--data "$(DATA)") --exps "$(EXPS)" $(if $(RULE),--rule "$(RULE)") $(if $(SPLIT),--split "$(SPLIT)") $(if $(ARGS),--args "$(ARGS)")

leaderboard: need-comp ## every run and blend of COMP by CV (runs/<COMP>/leaderboard.md) (DATA)
	@$(call takes,COMP DATA)
	$(KIT) leaderboard "$(COMP)" $(if $(DATA),--data "$(DATA)")

report: need-comp ## one offline HTML page of a run of COMP (EXP=<config stem>, DATA)
	@$(call takes,COMP DATA EXP)
	$(KIT) report "$(COMP)" $(if $(DATA),--data "$(DATA)") --exp "$(EXP)"

download: need-comp ## COMP's files from Kaggle into data/<slug>/, checked (FORCE=1 downloads again)
	@$(call takes,COMP FORCE)
	$(KIT) download "$(COMP)" $(if $(filter-out 0,$(FORCE)),--force)

kaggle-submit: need-comp ## check and send COMP's EXP=<exp> (or BLEND=<name>) submission to Kaggle, recorded (DRY=1, DATA)
	@$(call takes,COMP DATA EXP BLEND DRY)
	$(KIT) kaggle-submit "$(COMP)" $(if $(DATA),--data "$(DATA)") --exp "$(EXP)" --blend "$(BLEND)" $(if $(filter-out 0,$(DRY)),--dry)

lb: need-comp ## the public/private scores of COMP's recorded submissions beside their CV
	@$(call takes,COMP)
	$(KIT) lb "$(COMP)"

bundle: need-comp ## bundles/<COMP>-<EXP>/: wheels, fold models, predict.py and a notebook for offline Kaggle (BLEND)
	@$(call takes,COMP EXP BLEND)
	$(KIT) bundle "$(COMP)" --exp "$(EXP)" --blend "$(BLEND)"

sample: need-comp ## build COMP's drawn sample in data/samples/
	@$(call takes,COMP)
	$(KIT) sample "$(COMP)"

house-sample: ## build the synthetic house-prices sample in data/samples/
	@$(call takes,)
	$(KIT) sample house

house-train: ## k-fold training of the house-prices model (DATA, CONFIG, ARGS, FOLDS, FORCE)
	@$(call takes,DATA CONFIG ARGS FOLDS FORCE)
	$(KIT) train house $(TRAIN_FLAGS)

house-cv: ## pool a run's folds (trained as separate jobs) into OOF + cv.json; names missing folds (DATA, CONFIG, ARGS)
	@$(call takes,DATA CONFIG ARGS)
	$(KIT) cv house $(COMMON)

house-submit: ## write submissions/house/<exp>.csv from the trained folds (DATA, CONFIG, ARGS)
	@$(call takes,DATA CONFIG ARGS)
	$(KIT) submit house $(COMMON)

house-blend: ## blend experiments' OOF/test predictions: EXPS="house house-gbdt house-linear" [RULE=] [ARGS="select_steps=25"] (DATA)
	@$(call takes,DATA EXPS RULE ARGS)
	$(KIT) blend house $(if $(DATA),--data "$(DATA)") --exps "$(EXPS)" $(if $(RULE),--rule "$(RULE)") $(if $(ARGS),--args "$(ARGS)")

house-leaderboard: ## table of every house run and blend by CV (runs/house/leaderboard.md) (DATA)
	@$(call takes,DATA)
	$(KIT) leaderboard house $(if $(DATA),--data "$(DATA)")

house-report: ## one offline HTML page of a run: CV table and plots (EXP=<config stem>, DATA)
	@$(call takes,DATA EXP)
	$(KIT) report house $(if $(DATA),--data "$(DATA)") --exp "$(EXP)"

house-bundle: ## bundles/house-<EXP>/: an offline Kaggle-notebook bundle of a trained run (EXP=<config stem>, BLEND)
	@$(call takes,EXP BLEND)
	$(KIT) bundle house --exp "$(EXP)" --blend "$(BLEND)"

house-download: ## the house files from Kaggle into data/<slug>/, checked (FORCE=1 downloads again)
	@$(call takes,FORCE)
	$(KIT) download house $(if $(filter-out 0,$(FORCE)),--force)

house-kaggle-submit: ## check and send EXP=<exp> (or BLEND=<name>) to Kaggle, recorded in runs/house/kaggle_submissions.csv (DRY=1, DATA)
	@$(call takes,DATA EXP BLEND DRY)
	$(KIT) kaggle-submit house $(if $(DATA),--data "$(DATA)") --exp "$(EXP)" --blend "$(BLEND)" $(if $(filter-out 0,$(DRY)),--dry)

house-lb: ## public/private scores of the recorded house submissions beside their CV
	@$(call takes,)
	$(KIT) lb house

leaves-sample: ## build the synthetic classify-leaves sample in data/samples/
	@$(call takes,)
	$(KIT) sample leaves

leaves-train: ## k-fold fine-tuning of a timm model on classify-leaves (DATA, CONFIG, ARGS, FOLDS, FORCE)
	@$(call takes,DATA CONFIG ARGS FOLDS FORCE)
	$(KIT) train leaves $(TRAIN_FLAGS)

leaves-cv: ## pool a run's folds (trained as separate jobs) into OOF + cv.json; names missing folds (DATA, CONFIG, ARGS)
	@$(call takes,DATA CONFIG ARGS)
	$(KIT) cv leaves $(COMMON)

leaves-submit: ## write submissions/leaves/<exp>.csv (image,label) from the trained folds (DATA, CONFIG, ARGS)
	@$(call takes,DATA CONFIG ARGS)
	$(KIT) submit leaves $(COMMON)

leaves-blend: ## blend experiments' OOF/test probabilities: EXPS="leaves leaves-b" [RULE=mean|select|weighted|best|vote|rank_mean] [ARGS="select_steps=25"] (DATA)
	@$(call takes,DATA EXPS RULE ARGS)
	$(KIT) blend leaves $(if $(DATA),--data "$(DATA)") --exps "$(EXPS)" $(if $(RULE),--rule "$(RULE)") $(if $(ARGS),--args "$(ARGS)")

leaves-leaderboard: ## table of every leaves run and blend by CV (runs/leaves/leaderboard.md) (DATA)
	@$(call takes,DATA)
	$(KIT) leaderboard leaves $(if $(DATA),--data "$(DATA)")

leaves-report: ## one offline HTML page of a run: CV table and plots (EXP=<config stem>, DATA)
	@$(call takes,DATA EXP)
	$(KIT) report leaves $(if $(DATA),--data "$(DATA)") --exp "$(EXP)"

leaves-bundle: ## bundles/leaves-<EXP>/: an offline Kaggle-notebook bundle of a trained run (EXP=<config stem>, BLEND)
	@$(call takes,EXP BLEND)
	$(KIT) bundle leaves --exp "$(EXP)" --blend "$(BLEND)"

leaves-download: ## the leaves files from Kaggle into data/<slug>/, checked (FORCE=1 downloads again)
	@$(call takes,FORCE)
	$(KIT) download leaves $(if $(filter-out 0,$(FORCE)),--force)

leaves-kaggle-submit: ## check and send EXP=<exp> (or BLEND=<name>) to Kaggle, recorded in runs/leaves/kaggle_submissions.csv (DRY=1, DATA)
	@$(call takes,DATA EXP BLEND DRY)
	$(KIT) kaggle-submit leaves $(if $(DATA),--data "$(DATA)") --exp "$(EXP)" --blend "$(BLEND)" $(if $(filter-out 0,$(DRY)),--dry)

leaves-lb: ## public/private scores of the recorded leaves submissions beside their CV
	@$(call takes,)
	$(KIT) lb leaves

cowboy-sample: ## build the synthetic cowboyoutfits sample in data/samples/
	@$(call takes,)
	$(KIT) sample cowboy

cowboy-train: ## k-fold detector training on cowboyoutfits (DATA, CONFIG, ARGS, FOLDS, FORCE)
	@$(call takes,DATA CONFIG ARGS FOLDS FORCE)
	$(KIT) train cowboy $(TRAIN_FLAGS)

cowboy-cv: ## pool a run's folds (trained as separate jobs) into OOF + cv.json; names missing folds (DATA, CONFIG, ARGS)
	@$(call takes,DATA CONFIG ARGS)
	$(KIT) cv cowboy $(COMMON)

cowboy-submit: ## write submissions/cowboy/<exp>.zip (answer.json) for valid.csv, or SPLIT=test (DATA, CONFIG, ARGS)
	@$(call takes,DATA CONFIG ARGS SPLIT)
	$(KIT) submit cowboy $(COMMON) $(if $(SPLIT),--split "$(SPLIT)")

cowboy-blend: ## fuse experiments' saved OOF/test detections by WBF (weights, IoU tuned on OOF AP): EXPS="a b" [RULE=mean|weighted] [SPLIT=test] (DATA)
	@$(call takes,DATA EXPS RULE SPLIT)
	$(KIT) blend cowboy $(if $(DATA),--data "$(DATA)") --exps "$(EXPS)" $(if $(RULE),--rule "$(RULE)") $(if $(SPLIT),--split "$(SPLIT)")

cowboy-leaderboard: ## table of every cowboy run and blend by CV (runs/cowboy/leaderboard.md) (DATA)
	@$(call takes,DATA)
	$(KIT) leaderboard cowboy $(if $(DATA),--data "$(DATA)")

cowboy-download: ## cowboyoutfits is scored on CodaLab, not Kaggle: says where to get its files
	@$(call takes,)
	$(KIT) download cowboy

cowboy-report: ## one offline HTML page of a run: CV table and plots (EXP=<config stem>, DATA)
	@$(call takes,DATA EXP)
	$(KIT) report cowboy $(if $(DATA),--data "$(DATA)") --exp "$(EXP)"

cowboy-bundle: ## bundles/cowboy-<EXP>/: an offline Kaggle-notebook bundle of a trained run (EXP=<config stem>, BLEND)
	@$(call takes,EXP BLEND)
	$(KIT) bundle cowboy --exp "$(EXP)" --blend "$(BLEND)"
