"""Every word a statement prints, in Dutch and English.

A funder reads its statement in the network's language (or the one asked for); the summary
row labels are part of the contract (tests and funders' own checks look for them), so they
are defined once here. Text with placeholders uses `str.format` names.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("nl", "en")

#: The summary rows, in the order printed; the keys are the `Summary` fields they show.
SUMMARY_ROWS: Final = (
    "committed",
    "received",
    "allocated",
    "spent",
    "overhead_spent",
    "unspent",
    "unallocated",
)

_NL: Final[dict[str, str]] = {
    "title": "Verantwoording {period}",
    "title_interim": "Tussentijdse verantwoording {period}",
    "interim_note": (
        "Tussentijds: alleen transacties gedateerd tot en met {as_of}; de periode loopt tot "
        "en met {end}. Wat later gedateerd is, staat hier niet in."
    ),
    "bank_reconciled": "Afgestemd met het bankafschrift van {date}.",
    "bank_not_reconciled": "Niet afgestemd met de bank: verschil {difference} (per {date}).",
    "covers": "Omvat",
    "covers_text": "{count} transacties ({first}–{last} in de keten)",
    "covers_none": "geen transacties",
    "network": "Netwerk",
    "funder": "Financier",
    "code": "Fondscode",
    "kind": "Soort",
    "framework": "Wettelijk kader",
    "period": "Periode",
    "as_of": "Stand per",
    "summary": "Samenvatting",
    "committed": "Toegezegd",
    "received": "Ontvangen",
    "allocated": "Toegewezen",
    "spent": "Besteed",
    "overhead_spent": "waarvan overhead",
    "unspent": "Niet besteed",
    "unallocated": "Niet toegewezen",
    "per_inhabitant": "Per inwoner ({population} inwoners)",
    "this_funder": "Deze financier",
    "whole_network": "Heel het netwerk",
    "overhead_check": "Toets aansturing en overhead",
    "overhead_scope": "Aandeel overhead",
    "overhead_amount": "Overhead",
    "overhead_total": "Totaal",
    "share": "Aandeel",
    "cap": "Plafond",
    "check": "Toets",
    "funder_of_allocation": "Deze financier, van de toewijzing",
    "funder_of_spending": "Deze financier, van de besteding",
    "network_of_allocation": "Netwerk, van de toewijzing",
    "network_of_spending": "Netwerk, van de besteding",
    "pass": "✔ voldoet",
    "fail": "✘ boven plafond",
    "no_cap": "geen eigen plafond",
    "flow": "Waar uw geld naartoe gaat",
    "flow_note": (
        "Van links naar rechts: de toezegging van deze financier, verdeeld over de groepen "
        "waaraan het geld is toegewezen. Het donkere deel van elke groep is besteed."
    ),
    "flow_unallocated": "niet toegewezen",
    "flow_other": "{count} andere groepen",
    "bar_chart": "Toegewezen en besteed per groep",
    "groups": "Per groep",
    "group": "Groep",
    "remaining": "Resterend",
    "used": "% besteed",
    "status": "Status",
    "overspent": "▲ overschreden",
    "overhead_marker": "overhead",
    "no_group": "(zonder groep)",
    "no_groups": "Geen toewijzing of besteding in deze periode.",
    "schedule": "Betalingsschema",
    "schedule_own": "De toezegging in termijnen volgens het betalingsschema van deze financier.",
    "schedule_note": (
        "Een ontvangst telt voor de toezegging die zij betaalt, de oudste eerst (ook een "
        "ontvangst uit een andere periode); alles tot en met {as_of}."
    ),
    "schedule_default": (
        "Geen eigen betalingsschema: kwartaalvoorschotten, elk een kwart van de toezegging, "
        "te betalen vanaf 15 februari, 15 mei, 15 augustus en 15 november."
    ),
    "due_date": "Te betalen vanaf",
    "instalment": "Termijn",
    "fixed_amount": "vast bedrag",
    "rest_of_commitment": "rest van de toezegging",
    "after_period": "na {end}",
    "fallen_due": "Per {as_of}",
    "is_due": "vervallen",
    "not_due": "nog niet",
    "schedule_total": "Toegezegd",
    "schedule_due": "Vervallen tot en met {as_of}",
    "schedule_received": "Ontvangen voor {period} tot en met {as_of}",
    "schedule_overdue": "Achterstand per {as_of}",
    "schedule_open": "Nog te ontvangen van de toezegging",
    "no_commitment": "Geen toezegging in deze periode: er vervalt niets.",
    "receipts": "Ontvangsten",
    "refunds": "Terugbetalingen",
    "date": "Datum",
    "reference": "Referentie",
    "amount": "Bedrag",
    "total_listed": "Totaal van de regels",
    "other_movements": "Overgeboekt saldo en correcties",
    "no_receipts": "Geen ontvangsten in deze periode.",
    "no_refunds": "Geen terugbetalingen in deze periode.",
    "achieved": "Wat uw geld opleverde",
    "achieved_note": (
        "Per groep waaraan uw geld ging: wat deze financier toewees en besteedde, naast de "
        "indicatoren die de groep met de financiers afsprak (metingen tot en met {as_of}). Een "
        "referentiepunt geeft de beoogde richting aan, geen norm om te halen. Kosten per "
        "eenheid: uw besteding aan de groep gedeeld door het aantal in de periode tot nu toe, "
        "afgerond op hele centen (een halve cent naar boven)."
    ),
    "achieved_group": "{name} · {code}",
    "achieved_money": "Uw geld: toegewezen {allocated}, besteed {spent}.",
    "achieved_none_yet": "Nog geen meting in {period} voor de indicatoren van deze groep: {names}.",
    "aim_line": "Quadruple Aim: {aim} · {better}",
    "change": "Verandering: {changes}.",
    "level_latest": "Laatste meting: {measured}.",
    "count_latest": "Laatste telling: {measured}.",
    "count_total": "Tot nu toe in {period}: {total}.",
    "change_start": "{change} sinds het begin van de periode ({value} op {date})",
    "cost_per_unit": "Kosten per eenheid: {derivation}.",
    "change_previous": "{change} sinds de vorige meting ({date})",
    "change_previous_start": (
        "{change} sinds de vorige meting, waar de periode van uitging ({date})"
    ),
    "cost_nothing_counted": "Kosten per eenheid: nog niets geteld.",
    "trend_reference": "referentiepunt",
    "trend_reference_pro_rata": "referentiepunt, naar rato",
    "trend_cumulative": "opgeteld",
    "trend_measured": "gemeten",
    "approvals": "Besluiten over toewijzingen",
    "approval_item": "Toewijzing {what} (transactie {transaction}, {date}): ",
    "approval_four_eyes": (
        "voorgesteld door {proposed_by} op {proposed_at}, goedgekeurd door {approved_by} op "
        "{approved_at}."
    ),
    "approval_single": (
        "vastgelegd door {by} op {at}; het netwerk vraagt hiervoor geen tweede goedkeuring."
    ),
    "approval_unknown": "vastgelegd voordat netfund bijhield wie wat vastlegde.",
    "approval_run": "run {run}",
    "network_funding": "Financiering van het netwerk",
    "network_funding_note": "Toegezegd per financier; deze financier is gemarkeerd.",
    "network_totals": "Totalen van het netwerk",
    "definitions": "Definities",
    "definitions_text": (
        "Alle bedragen komen uit het grootboek van het netwerkfonds, over de periode "
        "{period} en tot en met {as_of}, zonder afsluitboekingen. Toegezegd: toezeggingen "
        "en overgebracht saldo. Ontvangen: ontvangsten gedateerd in de periode en overgebracht "
        "saldo, ook een ontvangst voor een toezegging uit een eerdere periode (het "
        "betalingsschema toont wat voor deze periode is ontvangen). "
        "Toegewezen: budgetbesluiten per groep. Besteed: uitgaven van de groepen, na "
        "correcties; waarvan overhead: het deel op overheadgroepen. Niet besteed: ontvangen "
        "min besteed min terugbetaald. Niet toegewezen: toegezegd min toegewezen."
    ),
    "footer_page": "pagina {page} van {pages}",
    "footer_fingerprint": "grootboek-vingerafdruk (transactie {transaction}): {hash}",
    "footer_no_fingerprint": "grootboek-vingerafdruk: geen transacties tot deze datum",
    "left_out_groups": (
        "De {shown} grootste van {count} groepen staan in de grafiek; de andere {left} samen: "
        "toegewezen {allocated}, besteed {spent}. De tabel noemt elke groep."
    ),
    "left_out_funders": (
        "De {shown} grootste van {count} financiers staan in de grafiek; de andere {left} "
        "zegden samen {committed} toe."
    ),
    "municipality": "gemeente",
    "care_office": "zorgkantoor",
    "insurer": "zorgverzekeraar",
    "subsidy_body": "subsidieverstrekker",
    "other": "overig",
}

_EN: Final[dict[str, str]] = {
    "title": "Statement {period}",
    "title_interim": "Interim statement {period}",
    "interim_note": (
        "Interim: only transactions dated up to and including {as_of}; the period runs to "
        "{end}. Whatever is dated later is not included."
    ),
    "bank_reconciled": "Reconciled with the bank statement of {date}.",
    "bank_not_reconciled": "Not reconciled with the bank: difference {difference} (as of {date}).",
    "covers": "Covers",
    "covers_text": "{count} transactions ({first}–{last} in the chain)",
    "covers_none": "no transactions",
    "network": "Network",
    "funder": "Funder",
    "code": "Fund code",
    "kind": "Kind",
    "framework": "Framework",
    "period": "Period",
    "as_of": "As of",
    "summary": "Summary",
    "committed": "Committed",
    "received": "Received",
    "allocated": "Allocated",
    "spent": "Spent",
    "overhead_spent": "of which overhead",
    "unspent": "Unspent",
    "unallocated": "Unallocated",
    "per_inhabitant": "Per inhabitant ({population} inhabitants)",
    "this_funder": "This funder",
    "whole_network": "Whole network",
    "overhead_check": "Overhead check",
    "overhead_scope": "Overhead share",
    "overhead_amount": "Overhead",
    "overhead_total": "Total",
    "share": "Share",
    "cap": "Cap",
    "check": "Check",
    "funder_of_allocation": "This funder, of its allocation",
    "funder_of_spending": "This funder, of its spending",
    "network_of_allocation": "Network, of the allocation",
    "network_of_spending": "Network, of the spending",
    "pass": "✔ within cap",
    "fail": "✘ above cap",
    "no_cap": "no own cap",
    "flow": "Where your money goes",
    "flow_note": (
        "From left to right: this funder's commitment, split over the groups it was "
        "allocated to. The dark part of each group is spent."
    ),
    "flow_unallocated": "unallocated",
    "flow_other": "{count} other groups",
    "bar_chart": "Allocated and spent per group",
    "groups": "Per group",
    "group": "Group",
    "remaining": "Remaining",
    "used": "% used",
    "status": "Status",
    "overspent": "▲ overspent",
    "overhead_marker": "overhead",
    "no_group": "(no group)",
    "no_groups": "No allocation or spending in this period.",
    "schedule": "Payment schedule",
    "schedule_own": "The commitment in instalments under this funder's payment schedule.",
    "schedule_note": (
        "A receipt counts for the commitment it pays, the oldest first (a receipt dated in "
        "another period too); everything up to and including {as_of}."
    ),
    "schedule_default": (
        "No schedule of its own: quarterly advances, each a quarter of the commitment, due "
        "from 15 February, 15 May, 15 August and 15 November."
    ),
    "due_date": "Due from",
    "instalment": "Instalment",
    "fixed_amount": "fixed amount",
    "rest_of_commitment": "rest of the commitment",
    "after_period": "after {end}",
    "fallen_due": "By {as_of}",
    "is_due": "due",
    "not_due": "not yet",
    "schedule_total": "Committed",
    "schedule_due": "Due up to and including {as_of}",
    "schedule_received": "Received for {period} up to and including {as_of}",
    "schedule_overdue": "Overdue as of {as_of}",
    "schedule_open": "Still to receive of the commitment",
    "no_commitment": "No commitment in this period: nothing falls due.",
    "receipts": "Receipts",
    "refunds": "Refunds",
    "date": "Date",
    "reference": "Reference",
    "amount": "Amount",
    "total_listed": "Total of the lines",
    "other_movements": "Carried-over balance and corrections",
    "no_receipts": "No receipts in this period.",
    "no_refunds": "No refunds in this period.",
    "achieved": "What your money achieved",
    "achieved_note": (
        "For each group your money went to: what this funder allocated and spent, beside the "
        "indicators the group agreed with its funders (measurements up to and including "
        "{as_of}). A reference point marks the intended direction, not a bar to clear. Cost "
        "per unit: your spending on the group divided by the period's count so far, rounded "
        "to the cent (half a cent up)."
    ),
    "achieved_group": "{name} · {code}",
    "achieved_money": "Your money: allocated {allocated}, spent {spent}.",
    "achieved_none_yet": "No measurement yet in {period} for this group's indicators: {names}.",
    "aim_line": "Quadruple Aim: {aim} · {better}",
    "change": "Change: {changes}.",
    "level_latest": "Latest: {measured}.",
    "count_latest": "Latest count: {measured}.",
    "count_total": "So far in {period}: {total}.",
    "change_start": "{change} since the start of the period ({value} on {date})",
    "cost_per_unit": "Cost per unit: {derivation}.",
    "change_previous": "{change} since the previous measurement ({date})",
    "change_previous_start": (
        "{change} since the previous measurement, where the period started from ({date})"
    ),
    "cost_nothing_counted": "Cost per unit: nothing counted yet.",
    "trend_reference": "reference point",
    "trend_reference_pro_rata": "reference point, pro rata",
    "trend_cumulative": "cumulative",
    "trend_measured": "measured",
    "approvals": "Allocation decisions",
    "approval_item": "Allocation {what} (transaction {transaction}, {date}): ",
    "approval_four_eyes": (
        "proposed by {proposed_by} on {proposed_at}, approved by {approved_by} on {approved_at}."
    ),
    "approval_single": ("committed by {by} on {at}, no second approval required by the network."),
    "approval_unknown": "committed before identities were recorded.",
    "approval_run": "run {run}",
    "network_funding": "Funding of the network",
    "network_funding_note": "Committed per funder; this funder is highlighted.",
    "network_totals": "Network totals",
    "definitions": "Definitions",
    "definitions_text": (
        "Every amount comes from the network fund's ledger, for period {period} up to and "
        "including {as_of}, closing entries excluded. Committed: commitments and balance "
        "carried over. Received: receipts dated in the period and balance carried over, a "
        "receipt for an earlier period's commitment included (the payment schedule shows what "
        "was received for this period). Allocated: budget "
        "decisions per group. Spent: the groups' expenses, net of corrections; of which "
        "overhead: the part on overhead groups. Unspent: received less spent less refunded. "
        "Unallocated: committed less allocated."
    ),
    "footer_page": "page {page} of {pages}",
    "footer_fingerprint": "ledger fingerprint (transaction {transaction}): {hash}",
    "footer_no_fingerprint": "ledger fingerprint: no transactions up to this date",
    "left_out_groups": (
        "The {shown} largest of {count} groups are shown; the other {left} together: "
        "allocated {allocated}, spent {spent}. The table lists every group."
    ),
    "left_out_funders": (
        "The {shown} largest of {count} funders are shown; the other {left} together "
        "committed {committed}."
    ),
    "municipality": "municipality",
    "care_office": "care office",
    "insurer": "health insurer",
    "subsidy_body": "subsidy body",
    "other": "other",
}

_TEXTS: Final = {"nl": _NL, "en": _EN}


def wording(language: str) -> dict[str, str]:
    """The words of one language; raise ValueError for a language netfund does not write."""
    if language not in _TEXTS:
        raise ValueError(f"statements are written in {' or '.join(LANGUAGES)}, not {language!r}")
    return _TEXTS[language]
