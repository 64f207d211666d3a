"""Lightning glue shared by every learner: one fold's Trainer and callbacks, optimizers and schedules, samplers, replayable seeds, devices, checkpoints, distributed helpers.

Light on purpose: importing the package loads nothing heavy; import the module you need."""
