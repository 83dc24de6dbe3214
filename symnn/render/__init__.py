"""Renderers: one module per output format, each reading :mod:`symnn.steps` objects."""
