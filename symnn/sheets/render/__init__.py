"""Renderers: one module per output format, each reading :mod:`symnn.sheets.steps` objects."""
