"""What a network is: the architectures, their registry and the shipped weights with cards.
Imports nothing from engine/, export/ or app/."""
from models.errors import ModelError
from models.registry import (ALIASES, ENTRIES, HELPERS, LoadedModel, ModelEntry, ModelSpec,
                             load, read_card, record_metrics, resolve, save, write_card)

__all__ = ["ALIASES", "ENTRIES", "HELPERS", "LoadedModel", "ModelEntry", "ModelError", "ModelSpec",
           "load", "read_card", "record_metrics", "resolve", "save", "write_card"]
