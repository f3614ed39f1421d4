"""How the shipped weights are made: losses now; blur synthesis, data and recipes follow."""
