"""Runs the tiles of a childcircle plan (``childcircle plan``) as Ray tasks."""

from .driver import TileFailed, run

__all__ = ["TileFailed", "run"]
