"""How long each text field may be, defined once for the parsers, the writer and the schema.

The input parsers refuse a longer value with a message for the user, the writer refuses one
as an invariant violation, and the schema sizes its columns with the same numbers, so a value
that passes the parsers always fits its column. The limits are documented in the README;
changing one that sizes a column needs a migration.
"""

from __future__ import annotations

#: A user's transaction id (events and journal files).
ID_LENGTH_MAX = 64
#: A stored transaction id: a user's id plus room for the prefixes of the ids netfund makes
#: itself (``netfund:reversal:<id>``, ``netfund:close:<period>:<fund>``, ...).
EXTERNAL_ID_LENGTH_MAX = 100
#: A fund or group code (``NET``, ``WG-WIJK``); it becomes an account segment.
CODE_LENGTH_MAX = 32
#: An account name, every segment included (``Budget:Allocated:WG-WIJK``).
ACCOUNT_LENGTH_MAX = 200
#: The name of the network, a funder or a group.
NAME_LENGTH_MAX = 200
#: A short label, such as a funder's legal framework (Wmo, Jeugdwet, ...).
LABEL_LENGTH_MAX = 64
#: A transaction's free-text description.
DESCRIPTION_LENGTH_MAX = 1_000
#: The document behind a transaction (invoice, decision).
REFERENCE_LENGTH_MAX = 200
