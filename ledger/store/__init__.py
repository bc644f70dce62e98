"""Where the ledger lives: the schema and its migrations, engines and transactions, the writer
that appends to the hash chain, the balance totals, the stored network and allocation runs."""
