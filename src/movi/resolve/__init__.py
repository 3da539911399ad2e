"""Resolve: references in the operator's words, matched to database rows.

Every resolver is an async function of a read-only ``AsyncSession`` that returns a
:class:`Resolution`: ``found`` (one row, perhaps with a ``note`` that it needs care),
``ambiguous`` (ranked options, at most :data:`MAX_OPTIONS`) or ``missing`` (suggestions). The
cutoffs behind each decision are named constants of the modules, and every resolution's
``trace`` states the numbers.
"""

from movi.resolve.drivers import resolve_driver
from movi.resolve.employees import EMPLOYEE_WINDOW_DAYS, resolve_employee
from movi.resolve.names import (
    NAME_MARGIN,
    NAME_MATCH_CUTOFF,
    NAME_SUGGEST_CUTOFF,
    PERSON_MARGIN,
    PERSON_MATCH_CUTOFF,
    PERSON_SUGGEST_CUTOFF,
    PERSON_TOKEN_CUTOFF,
    PLACE_TOKEN_CUTOFF,
    fuzzy_form,
    name_key,
    split_display_name,
)
from movi.resolve.network import resolve_path, resolve_route, resolve_stop
from movi.resolve.resolution import MAX_OPTIONS, Entity, Match, Resolution
from movi.resolve.trips import NEARBY_DAYS, resolve_trip
from movi.resolve.vehicles import (
    BUSY_WINDOW_MINUTES,
    REGISTRATION_SUGGEST_CUTOFF,
    read_description,
    resolve_vehicle,
    resolve_vehicle_desc,
)

__all__ = [
    "BUSY_WINDOW_MINUTES",
    "EMPLOYEE_WINDOW_DAYS",
    "MAX_OPTIONS",
    "NAME_MARGIN",
    "NAME_MATCH_CUTOFF",
    "NAME_SUGGEST_CUTOFF",
    "NEARBY_DAYS",
    "PERSON_MARGIN",
    "PERSON_MATCH_CUTOFF",
    "PERSON_SUGGEST_CUTOFF",
    "PERSON_TOKEN_CUTOFF",
    "PLACE_TOKEN_CUTOFF",
    "REGISTRATION_SUGGEST_CUTOFF",
    "Entity",
    "Match",
    "Resolution",
    "fuzzy_form",
    "name_key",
    "read_description",
    "resolve_driver",
    "resolve_employee",
    "resolve_path",
    "resolve_route",
    "resolve_stop",
    "resolve_trip",
    "resolve_vehicle",
    "resolve_vehicle_desc",
    "split_display_name",
]
