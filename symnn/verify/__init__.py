"""Checking hand calculations: the safe math parser, lint and check."""
