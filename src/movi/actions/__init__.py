"""Executors for the catalogue's actions; importing this package registers them all."""

from movi.actions import bookings, fleet, insights, network, trips, undo
from movi.actions.registry import EXECUTORS, Executor, Job, NotApplicable, Outcome

__all__ = [
    "EXECUTORS",
    "Executor",
    "Job",
    "NotApplicable",
    "Outcome",
    "bookings",
    "fleet",
    "insights",
    "network",
    "trips",
    "undo",
]
