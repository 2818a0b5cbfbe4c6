"""Command-line interface: one module per command group; parse, call a workflow, render."""
