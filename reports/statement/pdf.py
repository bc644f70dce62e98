"""One funder's statement as PDF bytes: the layout of `StatementData` on A4 pages.

Order of the statement: header; summary (with euro per inhabitant); the overhead check;
where the money goes (flow diagram); allocated against spent per group (chart, then the full
table); what the money achieved (per group with indicators, `achieved.py`); the allocation
decisions; the payment schedule (instalments, what fell due and what is overdue); receipts and
refunds; the network's funding and totals; the definitions. Rendering
reads nothing but its `StatementData` and is deterministic (see `canvas.py`), so it can run
in a worker process and give the same bytes there as here.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from functools import partial

from netfund.ledger import NO_GROUP, QUARTERLY, MoneyMovement
from netfund.reports.fonts import REGULAR, register_fonts
from netfund.reports.formatting import Formatter
from netfund.reports.statement.achieved import achieved_section
from netfund.reports.statement.canvas import Footer, StatementCanvas
from netfund.reports.statement.charts import (
    ALLOCATED_COLOR,
    OTHER_FUNDER_COLOR,
    OVERSPENT_COLOR,
    SPENT_COLOR,
    THIS_FUNDER_COLOR,
    Bar,
    bar_chart,
    keep_largest,
)
from netfund.reports.statement.data import StatementData, Summary
from netfund.reports.statement.embedded import document_bytes, statement_document
from netfund.reports.statement.flow import Flow, flow_diagram, keep_largest_flows
from netfund.reports.statement.tables import (
    ALERT,
    GOOD,
    MUTED,
    Styles,
    data_table,
    key_value_table,
    layout_table,
    make_styles,
    text,
)
from netfund.reports.statement.wording import SUMMARY_ROWS, wording
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph
from reportlab.platypus.doctemplate import SimpleDocTemplate

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
_LANGUAGE_TAGS = {"nl": "nl-NL", "en": "en-GB"}


def render_statement(data: StatementData) -> bytes:
    """The statement PDF of ``data``; the same data always gives the same bytes."""
    register_fonts()
    words = wording(data.language)
    formatter = Formatter(data.language, data.currency)
    styles = make_styles()
    title = f"{_title(data, words)} – {data.funder.name}"
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=data.network_name,
        subject=f"{data.funder.code} {data.period} {data.as_of.isoformat()}",
        creator=f"netfund {data.netfund_version}",
        keywords="",
        invariant=1,
        initialFontName=REGULAR,
        lang=_LANGUAGE_TAGS[data.language],
    )
    fingerprint = (
        words["footer_fingerprint"].format(
            transaction=data.fingerprint.transaction, hash=data.fingerprint.hash
        )
        if data.fingerprint is not None
        else words["footer_no_fingerprint"]
    )
    footer = Footer(
        left=f"netfund {data.netfund_version} · {data.network_name} · {title}",
        fingerprint=fingerprint,
        page=words["footer_page"],
        margin=MARGIN,
        date=data.as_of,
        attachment=document_bytes(statement_document(data)),
        attachment_description=f"{title}: figures in cents",
    )
    document.build(
        _story(data, words, formatter, styles),
        canvasmaker=partial(StatementCanvas, footer=footer),
    )
    return buffer.getvalue()


def _story(
    data: StatementData, words: dict[str, str], formatter: Formatter, styles: Styles
) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph(text(_title(data, words)), styles.title),
        Paragraph(text(data.funder.name), styles.heading),
        _header(data, words, formatter, styles),
        *_interim_note(data, words, formatter, styles),
        *_bank_note(data, words, formatter, styles),
        Paragraph(text(words["summary"]), styles.heading),
        _summary(data, words, formatter, styles),
        Paragraph(text(words["overhead_check"]), styles.heading),
        *_overhead(data, words, formatter, styles),
    ]
    story += _flow(data, words, formatter, styles)
    story += _groups(data, words, formatter, styles)
    story += achieved_section(data, words, formatter, styles, WIDTH)
    story += _approvals(data, words, formatter, styles)
    story += _schedule(data, words, formatter, styles)
    story += _movements(data, words, formatter, styles)
    story += _network(data, words, formatter, styles)
    return story


def _title(data: StatementData, words: dict[str, str]) -> str:
    """The title; an interim statement says so, so it is never taken for the year's."""
    return words["title_interim" if data.interim else "title"].format(period=data.period)


def _interim_note(
    data: StatementData, words: dict[str, str], formatter: Formatter, styles: Styles
) -> list[Flowable]:
    if not data.interim:
        return []
    end = datetime.date(int(data.period), 12, 31)
    note = words["interim_note"].format(as_of=formatter.date(data.as_of), end=formatter.date(end))
    return [Paragraph(text(note), styles.note)]


def _bank_note(
    data: StatementData, words: dict[str, str], formatter: Formatter, styles: Styles
) -> list[Flowable]:
    """Whether the ledger agrees with the bank (nothing before a bank statement is imported)."""
    bank = data.bank
    if bank is None:
        return []
    if bank.reconciled:
        note = words["bank_reconciled"].format(date=formatter.date(bank.day))
    else:
        note = words["bank_not_reconciled"].format(
            difference=formatter.money(bank.difference_cents), date=formatter.date(bank.day)
        )
    return [Paragraph(text(note), styles.note)]


def _coverage(data: StatementData, words: dict[str, str]) -> str:
    coverage = data.coverage
    if not coverage.transactions:
        return words["covers_none"]
    return words["covers_text"].format(
        count=coverage.transactions, first=coverage.first, last=coverage.last
    )


def _header(
    data: StatementData, words: dict[str, str], formatter: Formatter, styles: Styles
) -> Flowable:
    funder = data.funder
    left = [
        (words["network"], data.network_name),
        (words["funder"], funder.name),
        (words["code"], funder.code),
        (words["covers"], _coverage(data, words)),
    ]
    right = [
        (words["kind"], words.get(funder.kind, funder.kind)),
        (words["framework"], funder.framework),
        (words["period"], data.period),
        (words["as_of"], formatter.date(data.as_of)),
    ]
    rows = []
    for index in range(max(len(left), len(right))):
        row: list[Flowable] = []
        for pairs in (left, right):
            label, value = pairs[index] if index < len(pairs) else ("", "")
            row += [
                Paragraph(f'<font color="#666666">{text(label)}</font>', styles.cell),
                Paragraph(text(value), styles.cell),
            ]
        rows.append(row)
    return layout_table(
        rows,
        [62, 222, 72, WIDTH - 356],
        [("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)],
    )


def _summary(
    data: StatementData, words: dict[str, str], formatter: Formatter, styles: Styles
) -> Flowable:
    summary = _summary_table(data.summary, words, formatter)
    if data.population is None or data.population <= 0:
        return summary
    per_inhabitant = data_table(
        ["", words["this_funder"], words["whole_network"]],
        [
            [
                words[key],
                formatter.per_inhabitant(getattr(data.summary, f"{key}_cents"), data.population),
                formatter.per_inhabitant(getattr(data.network, f"{key}_cents"), data.population),
            ]
            for key in ("committed", "allocated", "spent")
        ],
        [70, 80, 80],
        numeric={1, 2},
    )[0]
    caption = Paragraph(
        text(words["per_inhabitant"].format(population=formatter.count(data.population))),
        styles.note,
    )
    return layout_table([[summary, [caption, per_inhabitant]]], [280, WIDTH - 280])


def _overhead(
    data: StatementData, words: dict[str, str], formatter: Formatter, styles: Styles
) -> list[Flowable]:
    rows: list[list[str | Flowable]] = []
    marks: list[tuple[object, ...]] = []
    for number, check in enumerate(data.overhead, start=1):
        if check.passes is None:
            verdict, color = words["no_cap"], MUTED
        elif check.passes:
            verdict, color = words["pass"], GOOD
        else:
            verdict, color = words["fail"], ALERT
        rows.append(
            [
                words[check.key],
                formatter.money(check.overhead_cents),
                formatter.money(check.total_cents),
                formatter.share(check.share, 2),
                formatter.share(check.cap, 2),
                verdict,
            ]
        )
        marks.append(("TEXTCOLOR", (5, number), (5, number), color))
    return data_table(
        [
            words["overhead_scope"],
            words["overhead_amount"],
            words["overhead_total"],
            words["share"],
            words["cap"],
            words["check"],
        ],
        rows,
        [150, 82, 82, 50, 50, WIDTH - 414],
        numeric={1, 2, 3, 4},
        styles=marks,
    )


def _flow(
    data: StatementData, words: dict[str, str], formatter: Formatter, styles: Styles
) -> list[Flowable]:
    flows = [
        Flow(
            label=_group_label(line.code, words),
            amount_cents=line.allocated_cents,
            spent_cents=line.spent_cents,
        )
        for line in data.groups
        if line.allocated_cents > 0
    ]
    flows = keep_largest_flows(flows, words["flow_other"])
    unallocated = data.summary.committed_cents - sum(flow.amount_cents for flow in flows)
    if unallocated > 0:
        flows.append(Flow(words["flow_unallocated"], unallocated, unallocated=True))
    if not flows:
        return []
    return [
        CondPageBreak(300),
        Paragraph(text(words["flow"]), styles.heading),
        Paragraph(text(words["flow_note"]), styles.note),
        flow_diagram(f"{data.funder.code}", flows, formatter, WIDTH),
    ]


def _approvals(
    data: StatementData, words: dict[str, str], formatter: Formatter, styles: Styles
) -> list[Flowable]:
    """Who proposed and who approved each allocation of the period (four eyes), or who
    committed it alone, or that it predates the record of who did what."""
    if not data.approvals:
        return []
    story: list[Flowable] = [Paragraph(text(words["approvals"]), styles.heading)]
    for each in data.approvals:
        what = words["approval_run"].format(run=each.run) if each.run else each.external_id
        line = words["approval_item"].format(
            what=what, transaction=each.transaction, date=formatter.date(each.date)
        )
        if each.approved_by is not None:
            line += words["approval_four_eyes"].format(
                proposed_by=each.proposed_by,
                proposed_at=_day(each.proposed_at, formatter),
                approved_by=each.approved_by,
                approved_at=_day(each.approved_at, formatter),
            )
        elif each.recorded:
            line += words["approval_single"].format(
                by=each.committed_by, at=_day(each.committed_at, formatter)
            )
        else:
            line += words["approval_unknown"]
        story.append(Paragraph(text(line), styles.body))
    return story


def _day(at: str | None, formatter: Formatter) -> str:
    """The day of a record's UTC time, as the statement writes dates (``20 January 2026``):
    a statement is a function of the ledger to the day, not to the second it was made."""
    if not at:
        return "?"
    return formatter.date(datetime.date.fromisoformat(at[:10]))


def _groups(
    data: StatementData, words: dict[str, str], formatter: Formatter, styles: Styles
) -> list[Flowable]:
    story: list[Flowable] = []
    if data.groups:
        bars = [
            Bar(
                label=_group_label(line.code, words),
                values_cents=(max(line.allocated_cents, 0), max(line.spent_cents, 0)),
                highlight=line.overspent,
            )
            for line in data.groups
        ]
        selection = keep_largest(bars)
        chart = bar_chart(
            selection.bars,
            [words["allocated"], words["spent"]],
            [ALLOCATED_COLOR, SPENT_COLOR],
            formatter,
            WIDTH,
            highlight_color=OVERSPENT_COLOR,
            highlight_series=1,
        )
        block: list[Flowable] = [Paragraph(text(words["bar_chart"]), styles.heading), chart]
        if selection.left_out:
            allocated, spent = selection.left_out_cents
            note = words["left_out_groups"].format(
                shown=len(selection.bars),
                count=len(bars),
                left=selection.left_out,
                allocated=formatter.money(allocated),
                spent=formatter.money(spent),
            )
            block.append(Paragraph(text(note), styles.note))
        story.append(KeepTogether(block))
    story.append(Paragraph(text(words["groups"]), styles.heading))
    if not data.groups:
        story.append(Paragraph(text(words["no_groups"]), styles.body))
        return story
    rows: list[list[str | Flowable]] = []
    marks: list[tuple[object, ...]] = []
    for number, line in enumerate(data.groups, start=1):
        name = text(line.name) if line.code != NO_GROUP else text(words["no_group"])
        detail = text(line.code) + (f" · {text(words['overhead_marker'])}" if line.overhead else "")
        rows.append(
            [
                Paragraph(
                    f'{name}<br/><font size="6" color="#666666">{detail}</font>', styles.cell
                ),
                formatter.money(line.allocated_cents),
                formatter.money(line.spent_cents),
                formatter.money(line.remaining_cents),
                formatter.share(line.used_share),
                words["overspent"] if line.overspent else "",
            ]
        )
        if line.overspent:
            marks.append(("TEXTCOLOR", (3, number), (5, number), ALERT))
    allocated = sum(line.allocated_cents for line in data.groups)
    spent = sum(line.spent_cents for line in data.groups)
    rows.append(
        [
            words["overhead_total"],
            formatter.money(allocated),
            formatter.money(spent),
            formatter.money(allocated - spent),
            "",
            "",
        ]
    )
    story += data_table(
        [
            words["group"],
            words["allocated"],
            words["spent"],
            words["remaining"],
            words["used"],
            words["status"],
        ],
        rows,
        [160, 74, 74, 74, 50, WIDTH - 432],
        numeric={1, 2, 3, 4},
        styles=marks,
        total_row=True,
    )
    return story


def _schedule(
    data: StatementData, words: dict[str, str], formatter: Formatter, styles: Styles
) -> list[Flowable]:
    """The funder's instalments for the period with their amounts, and by the as-of date what
    fell due, what was received for the period and what is overdue (as `netfund status`)."""
    as_of = formatter.date(data.as_of)
    own = "schedule_default" if data.funder.schedule == QUARTERLY else "schedule_own"
    note = f"{words[own]} {words['schedule_note'].format(as_of=as_of)}"
    block: list[Flowable] = [
        Paragraph(text(words["schedule"]), styles.heading),
        Paragraph(text(note), styles.note),
    ]
    if data.due.committed_cents <= 0:
        return [*block, Paragraph(text(words["no_commitment"]), styles.body)]
    end = formatter.date(datetime.date(int(data.period), 12, 31))
    rows: list[list[str | Flowable]] = []
    for row in data.due.rows:
        instalment = row.instalment
        if instalment is None:
            when, what = words["after_period"].format(end=end), words["rest_of_commitment"]
        elif instalment.share is not None:
            when, what = (
                formatter.date(row.date),
                formatter.share(instalment.share, _decimals(instalment.share)),
            )
        else:
            when, what = formatter.date(row.date), words["fixed_amount"]
        fallen = row.date <= data.as_of
        rows.append(
            [when, what, formatter.money(row.cents), words["is_due" if fallen else "not_due"]]
        )
    rows.append(
        ["", words["schedule_total"], formatter.money(sum(r.cents for r in data.due.rows)), ""]
    )
    table = data_table(
        [
            words["due_date"],
            words["instalment"],
            words["amount"],
            words["fallen_due"].format(as_of=as_of),
        ],
        rows,
        [100, WIDTH - 330, 100, 130],
        numeric={2},
        total_row=True,
    )
    overdue = data.overdue_cents
    figures = key_value_table(
        [
            (words["schedule_due"].format(as_of=as_of), formatter.money(data.due.due_cents)),
            (
                words["schedule_received"].format(period=data.period, as_of=as_of),
                formatter.money(data.received_for_period_cents),
            ),
            (words["schedule_overdue"].format(as_of=as_of), formatter.money(overdue)),
            (
                words["schedule_open"],
                formatter.money(data.due.committed_cents - data.received_for_period_cents),
            ),
        ],
        [WIDTH - 180, 90],  # the amounts under the instalments' amounts,
        bold_rows=[2],
        styles=[("TEXTCOLOR", (0, 2), (-1, 2), ALERT)] if overdue else [],
    )
    return [KeepTogether([*block, *table, figures])]


def _decimals(share: Decimal) -> int:
    """Decimals a share needs as a percentage: 0.5 → 0 (50%), 0.3333 → 2 (33.33%)."""
    exponent = share.normalize().as_tuple().exponent
    return max(0, -int(exponent) - 2)


def _movements(
    data: StatementData, words: dict[str, str], formatter: Formatter, styles: Styles
) -> list[Flowable]:
    story: list[Flowable] = []
    for key, movements, other, total, empty in (
        (
            "receipts",
            data.receipts,
            data.receipts_other_cents,
            data.summary.received_cents,
            "no_receipts",
        ),
        (
            "refunds",
            data.refunds,
            data.refunds_other_cents,
            data.summary.refunded_cents,
            "no_refunds",
        ),
    ):
        story.append(Paragraph(text(words[key]), styles.heading))
        if not movements and not other:
            story.append(Paragraph(text(words[empty]), styles.body))
            continue
        rows: list[list[str | Flowable]] = [_movement_row(m, formatter, styles) for m in movements]
        rows.append(
            [
                "",
                Paragraph(text(words["total_listed"]), styles.cell),
                formatter.money(total - other),
            ]
        )
        if other:
            rows.append(
                ["", Paragraph(text(words["other_movements"]), styles.cell), formatter.money(other)]
            )
        rows.append(
            ["", words["received" if key == "receipts" else "refunds"], formatter.money(total)]
        )
        story += data_table(
            [words["date"], words["reference"], words["amount"]],
            rows,
            [88, WIDTH - 178, 90],
            numeric={2},
            total_row=True,
        )
    return story


def _movement_row(
    movement: MoneyMovement, formatter: Formatter, styles: Styles
) -> list[str | Flowable]:
    return [
        formatter.date(movement.date),
        Paragraph(text(movement.reference or movement.external_id), styles.cell),
        formatter.money(movement.amount_cents),
    ]


def _network(
    data: StatementData, words: dict[str, str], formatter: Formatter, styles: Styles
) -> list[Flowable]:
    bars = [
        Bar(
            label=total.code,
            values_cents=(max(total.committed_cents, 0),),
            highlight=total.code == data.funder.code,
        )
        for total in data.funders
    ]
    selection = keep_largest(bars, always=data.funder.code)
    chart = bar_chart(
        selection.bars,
        [words["committed"]],
        [OTHER_FUNDER_COLOR],
        formatter,
        WIDTH,
        highlight_color=THIS_FUNDER_COLOR,
    )
    funding: list[Flowable] = [
        Paragraph(text(words["network_funding"]), styles.heading),
        Paragraph(text(words["network_funding_note"]), styles.note),
        chart,
    ]
    if selection.left_out:
        note = words["left_out_funders"].format(
            shown=len(selection.bars),
            count=len(bars),
            left=selection.left_out,
            committed=formatter.money(selection.left_out_cents[0]),
        )
        funding.append(Paragraph(text(note), styles.note))
    totals = [
        Paragraph(text(words["network_totals"]), styles.heading),
        _summary_table(data.network, words, formatter),
    ]
    definitions = [
        Paragraph(text(words["definitions"]), styles.heading),
        Paragraph(
            text(
                words["definitions_text"].format(
                    period=data.period, as_of=formatter.date(data.as_of)
                )
            ),
            styles.note,
        ),
    ]
    return [
        KeepTogether(funding),
        layout_table([[totals, definitions]], [280, WIDTH - 280]),
    ]


def _summary_table(summary: Summary, words: dict[str, str], formatter: Formatter) -> Flowable:
    """The seven summary rows with their amounts, the two results in bold."""
    return key_value_table(
        [(words[key], formatter.money(getattr(summary, f"{key}_cents"))) for key in SUMMARY_ROWS],
        [150, 110],
        bold_rows=[SUMMARY_ROWS.index("unspent"), SUMMARY_ROWS.index("unallocated")],
        indented_rows=[SUMMARY_ROWS.index("overhead_spent")],
    )


def _group_label(code: str, words: dict[str, str]) -> str:
    return words["no_group"] if code == NO_GROUP else code
