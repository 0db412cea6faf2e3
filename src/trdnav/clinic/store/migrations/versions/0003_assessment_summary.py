"""The patient list's summary, stored with each assessment.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable: older rows keep null and the list reads their Assessment instead
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("summary_json", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("summary_json")
