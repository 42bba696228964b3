"""The one-statement write of a listing's first report (PostgreSQL)."""

from __future__ import annotations

from psycopg import _queries
from sqlalchemy.dialects.postgresql import psycopg

from app.services import first_report


def test_the_statement_stays_small_enough_for_psycopg_to_keep_it_parsed():
    # Past these limits psycopg parses the statement's text again on every report, which
    # costs more than the two round trips the statement saves.
    compiled = first_report._STATEMENT.compile(dialect=psycopg.dialect())
    assert len(str(compiled).encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert len(compiled.params) <= _queries.MAX_CACHED_STATEMENT_PARAMS
