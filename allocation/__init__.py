"""Allocation of transformation funds across working groups with a linear program."""
