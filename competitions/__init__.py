"""One folder per competition: its task (a kind's subclass with its names and files), its config, its sample.
kaggle_kit.registry finds them by their task.py; nothing here lists them."""
