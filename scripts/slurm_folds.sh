#!/bin/bash
# k-fold training on a SLURM cluster: one fold per array task, each fold trained by Lightning DDP on every GPU
# of its node(s). Every task writes only its own runs/<comp>/<exp>/fold<k>/ on the shared file system; the
# last fold to finish writes oof.csv and cv.json. A preempted task resumes its fold from the last.ckpt in
# .fold<k>.partial/ when it is requeued (same command).
#
#   sbatch --export=ALL,COMP=leaves,CONFIG=configs/leaves.yaml scripts/slurm_folds.sh
#   sbatch --dependency=afterany:<array job id> --wrap "make leaves-cv CONFIG=configs/leaves.yaml"
#                                                  # pools the folds, or names any fold that did not finish
#
#SBATCH --job-name=kaggle-kit-folds
#SBATCH --array=0-4                 # fold numbers: 0..folds-1 of the config (0..folds*fold_repeats-1 with repeats)
#SBATCH --nodes=1                   # more nodes per fold: raise it; num_nodes follows below
#SBATCH --gpus-per-node=4
#SBATCH --ntasks-per-node=4         # one process per GPU: Lightning reads SLURM's variables for DDP
#SBATCH --cpus-per-task=8           # loader workers per process (num_workers in the config)
#SBATCH --time=04:00:00
#SBATCH --requeue                   # a preempted fold starts again and resumes from its last epoch
#SBATCH --output=slurm-%x-%A_%a.out
set -euo pipefail
COMP=${COMP:-leaves}
CONFIG=${CONFIG:-configs/$COMP.yaml}
GPUS=${SLURM_GPUS_PER_NODE:-4}
GPUS=${GPUS##*:}                    # "a100:4" -> 4
cd "${SLURM_SUBMIT_DIR:-.}"
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-0} NO_ALBUMENTATIONS_UPDATE=1
srun .venv/bin/python -m kaggle_kit train "$COMP" --config "$CONFIG" --folds "$SLURM_ARRAY_TASK_ID" \
    --args "accelerator=gpu devices=$GPUS num_nodes=$SLURM_JOB_NUM_NODES strategy=ddp progress_bar=false ${ARGS:-}"
