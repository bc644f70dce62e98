"""From the LP's euros to whole cents that keep every constraint: a flow-based controlled
rounding (`cents`, over `maxflow`), and an exact fallback in integers (`exact`)."""
