"""The `netfund` command line: thin, parses arguments, calls the engine, maps errors to exits."""
