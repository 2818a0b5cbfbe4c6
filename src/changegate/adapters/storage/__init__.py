"""Storage: SQLAlchemy Core on SQLite (default) or PostgreSQL, schema under Alembic."""
