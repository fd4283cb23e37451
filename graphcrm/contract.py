"""The data contract: six tables, their columns, types, keys and references.

This module is the single source of truth used by the loaders, both stores,
the demo generator and the docs (``docs/data-contract.md``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: column types understood by the validator
#: ``str``: non-empty text after cleaning; ``datetime``: ISO-8601 or common Excel forms;
#: ``bool``: true/false/1/0/yes/no/y/n/是/否; ``int``: a whole number that fits 64 bits;
#: ``float``: a finite number; ``enum``: one of ``values``.
TYPES = ("str", "datetime", "bool", "int", "float", "enum")

#: how the validator cleans the text of a ``str`` column (docs/data-contract.md, "Ids and text"):
#: ``id``: Unicode NFKC, invisible/format/control characters removed, surrounding whitespace
#: trimmed, an integral number written without ``.0`` (``7.0`` -> ``7``) -- the same in every table,
#: so keys and the references to them match; ``label``: the same cleaning minus the number rule
#: (categories such as city); ``free``: free text shown as written (names, titles): only control
#: characters are removed and surrounding whitespace/invisible characters trimmed.
TEXT_FORMS = ("id", "label", "free")


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "str"
    required: bool = False
    values: tuple[str, ...] = ()
    default: object = None
    pii: bool = False  #: never printed in logs, error messages or the rejects file
    text: str = "label"  #: cleaning of a ``str`` column's text, one of :data:`TEXT_FORMS`


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    #: (column, referenced table, referenced key column)
    references: tuple[tuple[str, str, str], ...] = ()
    #: the column that places a row in time (for --since/--until windows)
    time_column: str | None = None
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def id_columns(self) -> list[str]:
        """The id-like columns (keys and references), cleaned with the ``id`` text form."""
        return [c.name for c in self.columns if c.text == "id"]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


REFERRAL_STAGES = ("lead", "test_drive", "order", "delivered")
ATTENDANCE_ROLES = ("attendee", "organizer", "volunteer", "host")
INTERACTION_KINDS = ("like", "comment", "share", "reply", "favorite")
#: referral stages that count as a conversion (a sale)
CONVERTED_STAGES = ("order", "delivered")

OWNERS = Table(
    "owners",
    (
        Column("owner_id", required=True, text="id"),
        Column("name", pii=True, text="free"),
        Column("city"),
        Column("region"),
        Column("car_model"),
        Column("purchased_at", "datetime"),
        Column("joined_at", "datetime"),
        Column("is_volunteer", "bool", default=False),
        Column("is_staff", "bool", default=False),
        Column("marketing_opt_out", "bool", default=False),
        Column("points", "float"),
        Column("contribution", "float"),
    ),
    key=("owner_id",),
    time_column=None,
    description="One row per owner (or community member).",
)

REFERRALS = Table(
    "referrals",
    (
        Column("referrer_id", required=True, text="id"),
        Column("referee_id", required=True, text="id"),
        Column("referred_at", "datetime", required=True),
        Column("stage", "enum", required=True, values=REFERRAL_STAGES),
    ),
    key=("referrer_id", "referee_id"),
    references=(("referrer_id", "owners", "owner_id"), ("referee_id", "owners", "owner_id")),
    time_column="referred_at",
    description="One row per referral claim; a later row for the same pair updates its stage.",
)

EVENTS = Table(
    "events",
    (
        Column("event_id", required=True, text="id"),
        Column("title", text="free"),
        Column("kind"),
        Column("city"),
        Column("starts_at", "datetime", required=True),
        Column("capacity", "int"),
    ),
    key=("event_id",),
    time_column="starts_at",
    description="One row per event.",
)

ATTENDANCE = Table(
    "attendance",
    (
        Column("event_id", required=True, text="id"),
        Column("owner_id", required=True, text="id"),
        Column("role", "enum", values=ATTENDANCE_ROLES, default="attendee"),
        Column("checked_in", "bool", default=True),
    ),
    key=("event_id", "owner_id"),
    references=(("event_id", "events", "event_id"), ("owner_id", "owners", "owner_id")),
    time_column=None,  # placed in time by its event's starts_at
    description="One row per owner registered at an event.",
)

POSTS = Table(
    "posts",
    (
        Column("post_id", required=True, text="id"),
        Column("author_id", required=True, text="id"),
        Column("created_at", "datetime", required=True),
        Column("channel"),
    ),
    key=("post_id",),
    references=(("author_id", "owners", "owner_id"),),
    time_column="created_at",
    description="One row per post in the app.",
)

INTERACTIONS = Table(
    "interactions",
    (
        Column("owner_id", required=True, text="id"),
        Column("post_id", required=True, text="id"),
        Column("kind", "enum", required=True, values=INTERACTION_KINDS),
        Column("created_at", "datetime", required=True),
    ),
    key=("owner_id", "post_id", "kind", "created_at"),
    references=(("owner_id", "owners", "owner_id"), ("post_id", "posts", "post_id")),
    time_column="created_at",
    description="One row per interaction of an owner with a post.",
)

#: tables in load order (referenced tables first)
TABLES: dict[str, Table] = {
    t.name: t for t in (OWNERS, EVENTS, POSTS, REFERRALS, ATTENDANCE, INTERACTIONS)
}
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)


def table(name: str) -> Table:
    from graphcrm.errors import ConfigError

    try:
        return TABLES[name]
    except KeyError:
        raise ConfigError(f"unknown table {name!r}; the tables are {', '.join(TABLE_NAMES)}") from None
