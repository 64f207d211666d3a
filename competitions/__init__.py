"""Thin per-competition adapters. TASKS maps the short name used by make targets to the adapter class."""

from importlib import import_module

TASKS = {
    "house": "competitions.house_prices.task:HouseTask",
    "leaves": "competitions.classify_leaves.task:LeavesTask",
    "cowboy": "competitions.cowboy_outfits.task:CowboyTask",
}


def get_task(name: str):
    module, cls = TASKS[name].split(":")
    return getattr(import_module(module), cls)()
