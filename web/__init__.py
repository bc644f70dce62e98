"""netfund's portal: each funder reads its own money live, staff read everything (`netfund serve`).

An ASGI application (Starlette, Jinja2 templates, served by uvicorn) on the same ledger as the
CLI. It reads through the ledger's public API and the reports' figure functions, so a page, the
JSON API and the PDF statement show the same cents; the only thing it appends to the ledger is
the audit trail of sign-ins. Layers: `app` wires the routes; `sessions`, `throttle`, `security`
and `guards` decide who is asking and what they may see; `render` and `i18n` turn answers into
pages in Dutch or English; the route modules (listed in `app.ROUTE_MODULES`) hold the pages.
"""
