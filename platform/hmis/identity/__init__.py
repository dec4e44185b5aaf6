"""Client identity: finding records that belong to the same person (de-duplication).

    from hmis.identity import PersonRecord, find_candidates, load_config, score_pair
    for c in find_candidates(records, load_config()):
        print(c.a.id, c.b.id, c.score, c.reasons)

Pure Python over plain records (no database), so it runs the same on rows loaded from
SQLite or PostgreSQL, or straight from a Client.csv. See README.md.

The database side (imported from its modules, not from here, so this package stays light):
``review`` (the queue, "not a duplicate"), ``merge`` (merge and undo), ``links``,
``resolved`` (the resolved person every report counts: ``resolved.person_key``), ``jobs``
and ``views`` (the Duplicates pages).
"""
from .config import MatchingConfig, MatchingConfigError, load_config
from .matching import Candidate, MatchIndex, MatchStats, find_candidates, match_one, score_pair
from .normalize import PersonRecord

__all__ = [
    "Candidate", "MatchIndex", "MatchStats", "MatchingConfig", "MatchingConfigError", "PersonRecord",
    "find_candidates", "load_config", "match_one", "score_pair",
]
