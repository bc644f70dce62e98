"""The ledger's vocabulary, free of any database: money as integer cents, the frozen records
(postings, drafts, transactions) with their balance rule and the canonical bytes that are
hashed, field rules and the error hierarchy with its exit codes."""
