"""`deblur models`: the table of models, their size, cost at 720p and whether they are trained."""
from __future__ import annotations

import argparse

from models import ALIASES, ENTRIES, HELPERS, read_card
from models.complexity import count_macs, entry_parameters

REFERENCE_SIZE = (1280, 720)


def register(subparsers) -> None:
    parser = subparsers.add_parser("models", help="list the models and their weights")
    parser.set_defaults(run=run)


def total_steps(card: dict) -> tuple[int | str, int]:
    """Steps over the chain of runs that made the weights (a run started from earlier weights
    records theirs under 'init'), and how many runs that was."""
    steps, runs, init = card.get("steps"), 1, card.get("init")
    if steps is None:
        return "?", 1
    while init and init.get("steps") is not None:
        steps, runs, init = steps + init["steps"], runs + 1, init.get("init")
    return steps, runs


def run(args: argparse.Namespace) -> int:
    alias_of = {full: alias for alias, full in ALIASES.items()}
    rows = [("name", "alias", "architecture", "params", "GMACs@1280x720", "weights")]
    for entry in (*ENTRIES.values(), *HELPERS.values()):
        card = read_card(entry)
        if card is None or not entry.weights_path().is_file():
            weights = "not trained yet"
        else:
            steps, runs = total_steps(card)
            weights = f"trained, {steps} steps" + (f" ({runs} runs)" if runs > 1 else "")
        rows.append((entry.name, alias_of.get(entry.name, ""), entry.architecture,
                     f"{entry_parameters(entry) / 1e6:.2f}M",
                     f"{count_macs(entry, *REFERENCE_SIZE) / 1e9:.1f}", weights))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0
