"""Every saved version of each patient's record, append-only.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("record_json", sa.Text, nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.UniqueConstraint("patient_id", "version", name="uq_record_versions_patient_version"),
    )
    # records saved before this table: their current version is the first one kept
    op.execute(
        "INSERT INTO record_versions (patient_id, version, record_json, saved_at, saved_by, source) "
        "SELECT p.id, p.version, p.record_json, p.updated_at, p.updated_by, u.username "
        "FROM patients p JOIN users u ON u.id = p.updated_by"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION record_versions_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'record_versions is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER record_versions_no_change BEFORE UPDATE OR DELETE ON record_versions "
            "FOR EACH ROW EXECUTE FUNCTION record_versions_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER record_versions_no_{verb.lower()} BEFORE {verb} ON record_versions "
                "BEGIN SELECT RAISE(ABORT, 'record_versions is append-only'); END"
            )


def downgrade() -> None:
    op.drop_table("record_versions")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION record_versions_append_only()")
