"""Example networks shipped with netfund, so `netfund demo` works from an installed wheel.

Each folder holds a network's input files (network.toml, events.csv, plan.toml,
spending.csv) exactly as an administrator would keep them; they are data, not code.
"""
