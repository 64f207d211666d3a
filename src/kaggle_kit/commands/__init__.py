"""The commands that run other commands: `new` (a spec from a download) and `auto` (every learner, blended).
They sit beside the CLI, above the kinds and the pipeline they drive."""
