"""Volunteering: activities, sign-ups, service hours; the offers to serve as a building's head

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{referred}.id"],
        name=op.f(f"fk_{table}_{column}_{referred}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "volunteer_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=True),
        sa.Column("building_ids", sa.JSON(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("checkin_token", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("reminded_at", TZ, nullable=True),
        sa.Column("ended_at", TZ, nullable=True),
        _fk("volunteer_activities", "community_id", "communities", "CASCADE"),
        _fk("volunteer_activities", "organiser_id", "people", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_activities")),
        sa.UniqueConstraint("checkin_token", name=op.f("uq_volunteer_activities_checkin_token")),
    )
    op.create_index(
        "ix_volunteer_activities_starts", "volunteer_activities", ["status", "starts_at"]
    )
    op.create_table(
        "volunteer_signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("signed_at", TZ, nullable=False),
        sa.Column("cancelled_at", TZ, nullable=True),
        sa.Column("checked_in_at", TZ, nullable=True),
        _fk("volunteer_signups", "activity_id", "volunteer_activities", "CASCADE"),
        _fk("volunteer_signups", "person_id", "people", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_signups")),
        sa.UniqueConstraint(
            "activity_id", "person_id", name=op.f("uq_volunteer_signups_activity_id")
        ),
    )
    op.create_index(op.f("ix_volunteer_signups_activity_id"), "volunteer_signups", ["activity_id"])
    op.create_index(op.f("ix_volunteer_signups_person_id"), "volunteer_signups", ["person_id"])
    op.create_table(
        "service_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("decided_at", TZ, nullable=True),
        _fk("service_hours", "person_id", "people", "CASCADE"),
        _fk("service_hours", "activity_id", "volunteer_activities", "CASCADE"),
        _fk("service_hours", "building_id", "buildings", "SET NULL"),
        _fk("service_hours", "confirmed_by", "people", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_hours")),
        sa.UniqueConstraint("activity_id", "person_id", name=op.f("uq_service_hours_activity_id")),
    )
    op.create_index(op.f("ix_service_hours_person_id"), "service_hours", ["person_id"])
    op.create_table(
        "serve_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("offered_at", TZ, nullable=False),
        sa.Column("answered_at", TZ, nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("invitation_token", sa.String(length=64), nullable=True),
        _fk("serve_offers", "person_id", "people", "CASCADE"),
        _fk("serve_offers", "building_id", "buildings", "CASCADE"),
        _fk("serve_offers", "decided_by", "people", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serve_offers")),
    )
    op.create_index("ix_serve_offers_person_offered", "serve_offers", ["person_id", "offered_at"])
    op.create_table(
        "coverage_weeks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("buildings", sa.Integer(), nullable=False),
        sa.Column("with_head", sa.Integer(), nullable=False),
        sa.Column("taken_at", TZ, nullable=False),
        _fk("coverage_weeks", "community_id", "communities", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_weeks")),
        sa.UniqueConstraint("community_id", "week", name=op.f("uq_coverage_weeks_community_id")),
    )


def downgrade() -> None:
    op.drop_table("coverage_weeks")
    op.drop_table("serve_offers")
    op.drop_table("service_hours")
    op.drop_table("volunteer_signups")
    op.drop_table("volunteer_activities")
