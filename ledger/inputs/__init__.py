"""What users hand netfund: network.toml, events.csv and journal.csv, read as rows with their
file and line, checked field by field; nothing here touches the database."""
