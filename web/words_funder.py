"""The words of a funder's pages (overview, group, postings), in Dutch and English.

The names of the figures and of the overhead check are not here: the pages print the
statement's own words (`netfund.reports.statement.wording`), so the portal and the PDF call
each figure the same. Keys start with ``fp_`` so they never meet another module's (`i18n`).
"""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "fp_overview_title": ("{funder} · {period}", "{funder} · {period}"),
    "fp_overview_intro": (
        "Uw geld in het netwerkfonds over {period}, met dezelfde cijfers als uw verantwoording.",
        "Your money in the network fund in {period}, with the same figures as your statement.",
    ),
    "fp_overview_intro_staff": (
        "Het geld van deze financier in het netwerkfonds over {period}, met dezelfde cijfers "
        "als zijn verantwoording.",
        "This funder's money in the network fund in {period}, with the same figures as its "
        "statement.",
    ),
    "fp_choose_period": ("Kies een periode", "Choose a period"),
    "fp_show": ("Tonen", "Show"),
    "fp_as_of": ("Stand per {as_of}", "As of {as_of}"),
    "fp_interim": (
        "Tussentijds: alleen transacties gedateerd tot en met {as_of}.",
        "Interim: only transactions dated up to and including {as_of}.",
    ),
    "fp_fingerprint": (
        "Grootboek-vingerafdruk (transactie {transaction}): {hash}",
        "Ledger fingerprint (transaction {transaction}): {hash}",
    ),
    "fp_no_fingerprint": (
        "Grootboek-vingerafdruk: geen transacties tot deze datum.",
        "Ledger fingerprint: no transactions up to this date.",
    ),
    "fp_covers": (
        "Omvat {count} transacties van deze periode.",
        "Covers {count} transactions of this period.",
    ),
    "fp_figures": ("Uw cijfers", "Your figures"),
    "fp_figure": ("Cijfer", "Figure"),
    "fp_refunded": ("Terugbetaald", "Refunded"),
    "fp_chart_title": ("Toegewezen en besteed per groep", "Allocated and spent per group"),
    "fp_group_postings": ("Boekingen van deze groep", "Postings of this group"),
    "fp_all_postings": ("Alle boekingen", "All postings"),
    "fp_postings_title": ("Boekingen van {funder} · {period}", "Postings of {funder} · {period}"),
    "fp_group_title": ("{group} · {funder} · {period}", "{group} · {funder} · {period}"),
    "fp_postings_intro": (
        "De regels van uw fonds in deze periode, zonder afsluitboekingen: samen vormen ze de "
        "cijfers van uw overzicht. Bedragen: debet positief, credit negatief.",
        "The lines of your fund in this period, closing entries excluded: together they make "
        "the figures of your overview. Amounts: debit positive, credit negative.",
    ),
    "fp_filter": ("Filteren", "Filter"),
    "fp_filters": ("Filters", "Filters"),
    "fp_every_group": ("Alle groepen", "Every group"),
    "fp_date_from": ("Vanaf datum", "From date"),
    "fp_date_to": ("Tot en met datum", "To date"),
    "fp_date_hint": ("JJJJ-MM-DD", "YYYY-MM-DD"),
    "fp_download_csv": (
        "Download deze boekingen als CSV ({total} regels)",
        "Download these postings as CSV ({total} lines)",
    ),
    "fp_download_all_csv": ("Alle boekingen als CSV", "All postings as CSV"),
    "fp_col_date": ("Datum", "Date"),
    "fp_col_transaction": ("Transactie", "Transaction"),
    "fp_col_group": ("Groep", "Group"),
    "fp_col_account": ("Rekening", "Account"),
    "fp_col_description": ("Omschrijving", "Description"),
    "fp_col_amount": ("Bedrag", "Amount"),
    "fp_col_reference": ("Referentie", "Reference"),
    "fp_sort_by": ("Sorteer op {column}", "Sort by {column}"),
    "fp_sorted_ascending": ("oplopend gesorteerd", "sorted ascending"),
    "fp_sorted_descending": ("aflopend gesorteerd", "sorted descending"),
    "fp_no_postings": ("Geen boekingen bij deze keuze.", "No postings for this selection."),
    "fp_past_the_end": (
        "Pagina {page} bestaat niet: er zijn {pages} pagina's.",
        "Page {page} does not exist: there are {pages} pages.",
    ),
    "fp_count": ("{total} regels, samen {sum}.", "{total} lines, together {sum}."),
    "fp_page_of": ("Pagina {page} van {pages}", "Page {page} of {pages}"),
    "fp_previous": ("Vorige pagina", "Previous page"),
    "fp_next": ("Volgende pagina", "Next page"),
    "fp_pages": ("Pagina's", "Pages"),
    "fp_back_to_overview": ("Terug naar het overzicht", "Back to the overview"),
    "fp_statements": ("Uitgegeven verantwoordingen", "Issued statements"),
    "fp_due_title": ("Termijnen", "Instalments"),
    "fp_total": ("Totaal", "Total"),
    "fp_none": ("–", "–"),
}
