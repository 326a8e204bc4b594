"""Helpers for migrations that restrict a column to a closed set of values (CHECK constraints).

Each migration keeps its own frozen copy of the values (table → column → values); these helpers
only turn that mapping into constraints named like the models' (`ck_<table>_<column>`).
"""

from collections.abc import Mapping, Sequence

from alembic import op

Checks = Mapping[str, Mapping[str, Sequence[str]]]


def in_values(column: str, values: Sequence[str]) -> str:
    """The SQL condition `column IN ('a', 'b')`."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def add_checks(checks: Checks) -> None:
    for table, columns in checks.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                batch.create_check_constraint(
                    op.f(f"ck_{table}_{column}"), in_values(column, values)
                )


def drop_checks(checks: Checks) -> None:
    for table, columns in checks.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
