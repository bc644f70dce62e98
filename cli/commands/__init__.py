"""The CLI's commands, one module per command group; each only parses options, calls the
ledger, allocation or reports API and renders the answer (`netfund.cli.render`)."""
