"""One funder's accountability statement: its figures (`data`), the PDF with its tables,
charts and money-flow diagram, the words in Dutch and English, the embedded figures and the
signature, and the check of a statement against the ledger (`check`)."""
