"""The clinic's database: SQLAlchemy 2 models (separate from the record and the Assessment)
and Alembic migrations from the first table on."""
