"""The bank: statements in (CAMT.053, MT940), matched to the ledger and reconciled; refunds out
as SEPA credit transfer files (pain.001). Issue 19.

Data flow (`ledger/docs.md`, "The bank"):

    statement file ─ formats/ (camt.py, mt940.py: hostile-XML-safe, XSD-checked) ─ model.py
       ─ importing.py (balance and continuity, entries stored, each one matched through
         matching.py and booked through the one writing path `store.post.post_drafts`)
       ─ reconcile.py (bank balance against the ledger's Assets:Bank, the difference explained)
    refunds owed ─ payments.py (pain.001 with sepaxml, XSD-checked, recorded) ─ the next
       statement's debit matched back to the refund by its end-to-end id
"""
