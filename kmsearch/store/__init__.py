"""The system of record: SQLite tables, migrations, case notes, drafts and accounts."""
