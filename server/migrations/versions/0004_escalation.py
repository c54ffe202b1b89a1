"""escalation

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 22:40:30.396296
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_calls",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "work_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("meaning", sa.String(length=20), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_customer_calls_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_customer_calls_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_customer_calls_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_calls")),
    )
    with op.batch_alter_table("customer_calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_calls_order", ["tenant_id", "work_order_id", "id"], unique=False
        )

    op.create_table(
        "warning_slips",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "work_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("from_tier", sa.String(length=40), nullable=False),
        sa.Column("to_tier", sa.String(length=40), nullable=False),
        sa.Column("repeat_words", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("issued_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("result_handler_id", sa.Integer(), nullable=True),
        sa.Column("result_at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["users.id"],
            name=op.f("fk_warning_slips_acknowledged_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_warning_slips_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["result_handler_id"],
            ["users.id"],
            name=op.f("fk_warning_slips_result_handler_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_warning_slips_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_warning_slips_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_slips")),
        sa.UniqueConstraint(
            "tenant_id", "work_order_id", "trigger", name=op.f("uq_warning_slips_tenant_id")
        ),
    )
    with op.batch_alter_table("warning_slips", schema=None) as batch_op:
        batch_op.create_index(
            "ix_warning_slips_state", ["tenant_id", "state", "issued_at"], unique=False
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("absent", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.alter_column(
            "grade",
            existing_type=sa.String(length=20),
            type_=sa.String(length=40),
            existing_nullable=True,
        )
        batch_op.add_column(
            sa.Column(
                "repeat_of_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("repeat_number", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("repeated", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("escalated", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("involved_staff", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.create_index(
            "ix_work_orders_escalated", ["tenant_id", "escalated", "registered_at"], unique=False
        )
        batch_op.create_index("ix_work_orders_vehicle", ["tenant_id", "vehicle_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_work_orders_repeat_of_id_work_orders"),
            "work_orders",
            ["repeat_of_id"],
            ["id"],
        )

    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_work_orders_repeat_of_id_work_orders"), type_="foreignkey"
        )
        batch_op.drop_index("ix_work_orders_vehicle")
        batch_op.drop_index("ix_work_orders_escalated")
        batch_op.drop_column("involved_staff")
        batch_op.drop_column("escalated")
        batch_op.drop_column("repeated")
        batch_op.drop_column("repeat_number")
        batch_op.drop_column("repeat_of_id")
        batch_op.alter_column(
            "grade",
            existing_type=sa.String(length=40),
            type_=sa.String(length=20),
            existing_nullable=True,
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("absent")

    with op.batch_alter_table("warning_slips", schema=None) as batch_op:
        batch_op.drop_index("ix_warning_slips_state")

    op.drop_table("warning_slips")
    with op.batch_alter_table("customer_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_calls_order")

    op.drop_table("customer_calls")
    # ### end Alembic commands ###
