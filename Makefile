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
#   TRIALS=<n>     make tune: the study stops at n finished trials;  SPACE=configs/spaces/<name>.yaml its keys
#   JOBS=<k>       make tune: k worker processes;  STORAGE=<url> an Optuna storage (default: a journal file)
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
TRIALS ?=
SPACE ?=
JOBS ?=
STORAGE ?=
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

.PHONY: help setup test test-fast lint bench bench-tables bench-real bench-real-seeds bench-noise bench-blend bench-ames bench-leaves-loop \
	bench-house bench-leaves bench-cowboy bench-tune bench-stack-leak bench-learners study-cowboy need-comp kit-targets

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-19s %s\n", $$1, $$2}'
	@$(MAKE) -s --no-print-directory kit-targets | awk -F'|' '{ v = $$2; gsub(/^ +| +$$/, "", v); gsub(/ +/, ", ", v); \
		printf "  %-19s %s%s\n", $$1, $$3, (v == "" ? "" : " (" v ")") }'

setup: $(VENV)/.installed ## create .venv and install the project with its dev tools (idempotent)

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

test: ## run the whole test suite (what CI runs)
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

test-fast: ## every unit and in-process test, without the end-to-end ones (-m "not e2e"; a few minutes)
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -m "not e2e"

lint: ## ruff over the project
	$(VENV)/bin/ruff check .

bench: bench-house bench-leaves bench-leaves-loop bench-cowboy bench-tables bench-real bench-real-seeds bench-noise bench-blend bench-ames bench-tune bench-stack-leak bench-learners ## every benchmark; figures go to docs/BENCHMARKS.md (DATA, CONFIG, TIME)
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

bench-tune: ## make tune on the real Ames files: LightGBM and CatBoost, tuning and fresh folds, 1 and 2 workers (~15 min; DATA)
	@$(call takes,DATA)
	$(PY) scripts/bench_tune.py $(if $(DATA),--data "$(DATA)")

bench-tables: ## make new + make auto on each drawn table layout and a 10,000 x 25 table: CV beside a constant, time
	@$(call takes,)
	$(PY) scripts/bench_tables.py

bench-real: ## make auto TIME= on six real tables against a default LightGBM and AutoGluon best_quality (~1 h 15 min the first time; TIME)
	@$(call takes,TIME)
	$(PY) scripts/bench_real_tables.py $(if $(TIME),--time "$(TIME)")

bench-real-seeds: ## make auto again with each of FOLD_SEEDS (default "1 2 3 4 5") on the ONLY tables (default credit,attrition,mortgage): its mean and spread against AutoGluon (~25 min; FOLD_SEEDS, ONLY, TIME)
	@$(call takes,FOLD_SEEDS ONLY TIME)
	$(PY) scripts/bench_real_tables.py --fold-seeds "$(or $(FOLD_SEEDS),1 2 3 4 5)" --only "$(or $(ONLY),credit,attrition,mortgage)" $(if $(TIME),--time "$(TIME)")

bench-stack-leak: ## usual stacking's CV against the kit's stack's, each beside its held-out score, on three real tables (~3 min)
	@$(call takes,)
	$(PY) scripts/bench_stack_leak.py

bench-learners: ## a spec table's learner defaults against the settings they replaced, CV and held-out, on four real tables (~4 min)
	@$(call takes,)
	$(PY) scripts/bench_learner_defaults.py

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

# The competition commands. Each verb reads COMP and the variables in READS_<verb>, runs CMD_<verb> for
# competition C and has the help HELP_<verb>; `make <verb> COMP=<name>` runs it for any
# competition, and `make <comp>-<verb>` for each competition in COMPS, generated below with the same variables.
COMPS := $(shell sed -n 's/^name: *//p' competitions/*/competition.yaml)   # the kit's own competitions
VERBS := sample train cv submit blend leaderboard report bundle download kaggle-submit lb tune
C = $(COMP)
TITLE_house := house-prices
TITLE_leaves := classify-leaves
TITLE_cowboy := cowboyoutfits

READS_new := DATA METRIC TARGET ID PROBLEM SLUG FORCE
HELP_new = a spec and configs for COMP from the download in DATA
CMD_new = $(KIT) new "$(C)" --data "$(DATA)" $(if $(METRIC),--metric "$(METRIC)") $(if $(TARGET),--target "$(TARGET)") $(if $(ID),--id "$(ID)") $(if $(PROBLEM),--problem "$(PROBLEM)") $(if $(SLUG),--slug "$(SLUG)") $(if $(filter-out 0,$(FORCE)),--force)
READS_auto := DATA ARGS FORCE TIME
HELP_auto = train every learner of COMP's spec, blend them, write submissions/<COMP>/auto.csv
CMD_auto = $(KIT) auto "$(C)" $(if $(DATA),--data "$(DATA)") --args "$(ARGS)" $(if $(filter-out 0,$(FORCE)),--force) $(if $(TIME),--time "$(TIME)")
READS_sample :=
HELP_sample = build the competition's drawn sample in data/samples/
CMD_sample = $(KIT) sample "$(C)"
READS_train := DATA CONFIG ARGS FOLDS FORCE
HELP_train = k-fold training of an experiment (CONFIG; default configs/<comp>.yaml)
CMD_train = $(KIT) train "$(C)" $(TRAIN_FLAGS)
READS_cv := DATA CONFIG ARGS
HELP_cv = pool a run's folds (trained as separate jobs) into OOF + cv.json; names missing folds
CMD_cv = $(KIT) cv "$(C)" $(COMMON)
READS_submit := DATA CONFIG ARGS SPLIT
HELP_submit = write submissions/<comp>/<exp>.<ext> from a trained run's folds (SPLIT: the test set, where there are several)
CMD_submit = $(KIT) submit "$(C)" $(COMMON) $(if $(SPLIT),--split "$(SPLIT)")
READS_blend := DATA EXPS RULE SPLIT ARGS
HELP_blend = blend experiments' OOF/test predictions: EXPS="a b" [RULE=] [SPLIT=] [ARGS="select_steps=25"]
CMD_blend = $(KIT) blend "$(C)" $(if $(DATA),--data "$(DATA)") --exps "$(EXPS)" $(if $(RULE),--rule "$(RULE)") $(if $(SPLIT),--split "$(SPLIT)") $(if $(ARGS),--args "$(ARGS)")
READS_leaderboard := DATA
HELP_leaderboard = every run and blend by CV (runs/<comp>/leaderboard.md)
CMD_leaderboard = $(KIT) leaderboard "$(C)" $(if $(DATA),--data "$(DATA)")
READS_report := DATA EXP
HELP_report = one offline HTML page of a run: CV table and plots (EXP=<config stem>)
CMD_report = $(KIT) report "$(C)" $(if $(DATA),--data "$(DATA)") --exp "$(EXP)"
READS_bundle := EXP BLEND
HELP_bundle = bundles/<comp>-<EXP>/: wheels, fold models, predict.py and a notebook for offline Kaggle
CMD_bundle = $(KIT) bundle "$(C)" --exp "$(EXP)" --blend "$(BLEND)"
READS_download := FORCE
HELP_download = the competition's files from Kaggle into data/<slug>/, checked (FORCE=1 downloads again)
CMD_download = $(KIT) download "$(C)" $(if $(filter-out 0,$(FORCE)),--force)
READS_kaggle-submit := DATA EXP BLEND DRY
HELP_kaggle-submit = check and send EXP=<exp> (or BLEND=<name>) to Kaggle, recorded in runs/<comp>/kaggle_submissions.csv (DRY=1)
CMD_kaggle-submit = $(KIT) kaggle-submit "$(C)" $(if $(DATA),--data "$(DATA)") --exp "$(EXP)" --blend "$(BLEND)" $(if $(filter-out 0,$(DRY)),--dry)
READS_lb :=
HELP_lb = the public/private scores of the recorded submissions beside their CV
CMD_lb = $(KIT) lb "$(C)"
READS_tune := DATA CONFIG ARGS TRIALS SPACE JOBS STORAGE
HELP_tune = Optuna search over CV: TRIALS=<n> trials of CONFIG, keys of SPACE; writes configs/<exp>-tuned.yaml, rechecked on fresh folds
CMD_tune = $(KIT) tune "$(C)" $(COMMON) --trials "$(TRIALS)" $(if $(SPACE),--space "$(SPACE)") $(if $(JOBS),--jobs "$(JOBS)") $(if $(STORAGE),--storage "$(STORAGE)")
HELP_cowboy-download := cowboyoutfits: scored on CodaLab, not Kaggle; says where to get its files

quoted = '$(subst ','\'',$(1))'

need-comp:
	@test -n "$(COMP)" || { echo 'error: name the competition: COMP=<name> (make new COMP=<name> DATA=<dir> makes one)' >&2; exit 2; }

# the generic verbs: COMP names the competition
define GENERIC_TARGET
.PHONY: $(1)
$(1): need-comp
	@$$(call takes,COMP $$(READS_$(1)))
	$$(CMD_$(1))
endef
$(foreach v,new auto $(VERBS),$(eval $(call GENERIC_TARGET,$(v))))

# <comp>-<verb>: the verb for one competition
define COMP_TARGET
.PHONY: $(1)-$(2)
$(1)-$(2): C := $(1)
$(1)-$(2):
	@$$(call takes,$$(READS_$(2)))
	$$(CMD_$(2))
endef
$(foreach c,$(COMPS),$(foreach v,$(VERBS),$(eval $(call COMP_TARGET,$(c),$(v)))))

# every kit target, a line each: <target>|<variables it reads>|<help> (make help and the tests read it)
kit-targets:
	@$(foreach v,new auto $(VERBS),echo $(call quoted,$(v)|COMP $(READS_$(v))|$(HELP_$(v)));)
	@$(foreach c,$(COMPS),$(foreach v,$(VERBS),echo $(call quoted,$(c)-$(v)|$(READS_$(v))|$(or $(HELP_$(c)-$(v)),$(TITLE_$(c)): $(HELP_$(v))));))
