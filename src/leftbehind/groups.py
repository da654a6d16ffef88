"""The comparator groups, named once: every module, page and API uses these ids and labels.

OCSI for Local Trust (2019): 'left behind' areas are "in the most deprived 10% ... on both the
Community Needs Index and the Index of Multiple Deprivation". The comparators of the APPG report
are the other equally deprived areas (IMD criterion only) and the nation as a whole.
"""

from __future__ import annotations

from enum import StrEnum


class Group(StrEnum):
    """The group an area falls in under an edition's thresholds."""

    LEFT_BEHIND = "left_behind"
    OTHER_DEPRIVED = "other_deprived"
    REST = "rest"


#: The three groups, in the order tables and charts show them.
GROUPS: tuple[str, ...] = tuple(g.value for g in Group)
#: The report's comparators: the groups plus the whole nation.
COMPARATORS: tuple[str, ...] = (*GROUPS, "nation")
#: Groups that can receive needs-based funding (the deprived ones).
DEPRIVED: tuple[str, ...] = (Group.LEFT_BEHIND.value, Group.OTHER_DEPRIVED.value)

#: Short labels (table columns, chart legends, CSV).
GROUP_LABELS: dict[str, str] = {
    "left_behind": "'Left behind'",
    "other_deprived": "Other deprived",
    "rest": "Rest of the country",
    "nation": "Nation",
}
#: Plain descriptions for residents (area pages, map legend).
GROUP_TEXT: dict[str, str] = {
    "left_behind": "'Left behind'",
    "other_deprived": "Deprived, but not 'left behind'",
    "rest": "Not in the most deprived 10%",
}
#: Sort order of groups (most in need first).
GROUP_ORDER: dict[str, int] = {g: i for i, g in enumerate(GROUPS)}
