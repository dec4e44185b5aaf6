"""Typo-tolerant client search: find candidates in the database, rank them in Python.

Two steps keep it fast at hundreds of thousands of clients:

1. **Candidates** (SQL). On PostgreSQL, the stored names most similar to each typed
   word (trigram similarity, ``pg_trgm``, over the distinct names in
   ``client_name_term``), then clients whose first and last names are among those of two
   typed words (either way round, so swapped names and typos still meet; one typed word
   may be either name), or with the same date of birth, or the same last four SSN digits;
   the best few hundred by a rough similarity come back. SQLite
   has no trigram index, so there the net is the first letter of each word, the date of
   birth or the SSN's last four (enough for the embedded, small-database mode).
2. **Ranking** (Python). Each candidate is scored against what was typed with the
   identity room's comparisons (nicknames, Jaro-Winkler, transposed DOB digits, SSN
   last four; ``hmis.identity``), the same rules the duplicate finder uses, and every
   match carries the readable reasons.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import Select, Text, and_, case, func, literal, or_, select

from ..access import sensitive
from ..extensions import db
from ..identity import PersonRecord, load_config
from ..identity.normalize import canonical_first, fold, prepare
from ..identity.scoring import score_prepared
from ..models import Client
from ..models.records import ClientNameTerm

#: Lowest trigram similarity that still makes a word a candidate ("jonh" ~ "john" is 0.25).
TRIGRAM_THRESHOLD = 0.2
#: Candidates fetched for ranking; more than any screen shows.
CANDIDATES = 300
#: Similar stored names looked up per typed word (fewer for a single word: it may be either name).
TERMS_PER_WORD = 30
TERMS_ONE_WORD = 15
MAX_WORDS = 4


@dataclass
class SearchQuery:
    """What a person typed: any of a name, a date of birth and the SSN's last four digits."""

    name: str = ""
    dob: date | None = None
    ssn_last4: str | None = None
    ssn: str | None = None  #: the whole SSN (normalized): found exactly through its keyed hash
    first: str | None = None  #: structured names (possible matches before create) win over ``name``
    last: str | None = None
    words: list[str] = field(init=False)

    def __post_init__(self):
        given = " ".join(p for p in (self.first, self.last) if p) if (self.first or self.last) else self.name
        self.words = fold(given).split()[:MAX_WORDS]

    @property
    def empty(self) -> bool:
        return not self.words and self.dob is None and not self.ssn_last4 and not self.ssn


@dataclass
class Match:
    client: Client
    score: float
    reasons: list[str]


@lru_cache(maxsize=1)
def _config():
    return load_config()


def readings(query: SearchQuery) -> list[PersonRecord]:
    """The ways to read what was typed as a person: "Smith, John", "John Smith", or a
    single word that may be either name."""
    ssn = f"xxxxx{query.ssn_last4}" if query.ssn_last4 else None
    common = {"dob": query.dob, "ssn": ssn, "ssn_dq": 1 if ssn else None, "dob_dq": 1 if query.dob else None}
    if query.first or query.last:
        return [PersonRecord(id="query", first=query.first, last=query.last, **common)]
    words = query.words
    if "," in query.name:  # "Smith, John"
        last, _, first = query.name.partition(",")
        return [PersonRecord(id="query", first=first.strip() or None, last=last.strip() or None, **common)]
    if len(words) >= 2:
        return [PersonRecord(id="query", first=words[0], last=" ".join(words[1:]), **common)]
    if len(words) == 1:
        return [PersonRecord(id="query", first=None, last=words[0], **common),
                PersonRecord(id="query", first=words[0], last=None, **common)]
    return [PersonRecord(id="query", **common)]


def _as_record(client: Client) -> PersonRecord:
    return PersonRecord(id=str(client.id), first=client.first_name, middle=client.middle_name,
                        last=client.last_name, suffix=client.name_suffix, ssn=client.ssn,
                        ssn_dq=client.ssn_data_quality, dob=client.dob, dob_dq=client.dob_data_quality,
                        sex=client.sex, name_dq=client.name_data_quality)


def similar_terms(word: str, limit: int) -> list[str]:
    """Names (as stored) most like ``word``, or a formal name it is a nickname of ("bill":
    William), by trigram similarity, best first (PostgreSQL)."""
    # Binds typed TEXT: compared with a VARCHAR bind, PostgreSQL would not use the index.
    variants = [literal(v, Text) for v in sorted(canonical_first(word) | {word})]
    likeness = func.greatest(*[func.similarity(ClientNameTerm.term, v) for v in variants]) if len(variants) > 1 \
        else func.similarity(ClientNameTerm.term, variants[0])
    return list(db.session.scalars(
        select(ClientNameTerm.term).where(or_(*[ClientNameTerm.term.op("%")(v) for v in variants]))
        .order_by(likeness.desc(), ClientNameTerm.term).limit(limit)))


def candidate_statement(base: Select, query: SearchQuery, dialect: str, limit: int = CANDIDATES) -> Select:
    """``base`` (a select of Client) narrowed to the rows worth ranking for ``query``."""
    nets = []
    if query.dob is not None:
        nets.append(Client.dob == query.dob)
    if query.ssn_last4:
        nets.append(Client.ssn.like(f"%{query.ssn_last4}"))
    words = query.words
    if dialect == "postgresql":
        # Similar names come from the small term table; clients are then fetched by exact
        # name through b-tree indexes (a trigram scan of the client table itself would
        # touch every row sharing a common name).
        per_word = TERMS_PER_WORD if len(words) > 1 else TERMS_ONE_WORD
        terms = {w: similar_terms(w, per_word) for w in words}
        if len(words) == 1:
            nets += [Client.first_name.in_(terms[words[0]]), Client.last_name.in_(terms[words[0]])]
        # Two or more words: the first with each of the others, either way round
        # (swapped names), both names similar.
        for other in words[1:]:
            nets.append(and_(Client.first_name.in_(terms[words[0]]), Client.last_name.in_(terms[other])))
            nets.append(and_(Client.first_name.in_(terms[other]), Client.last_name.in_(terms[words[0]])))
        closeness = [func.greatest(func.similarity(Client.first_name, w), func.similarity(Client.last_name, w))
                     for w in words]
        rough = sum(closeness, literal(0.0))
        if query.dob is not None:
            rough = rough + case((Client.dob == query.dob, 1.0), else_=0.0)
        if query.ssn_last4:
            rough = rough + case((Client.ssn.like(f"%{query.ssn_last4}"), 1.0), else_=0.0)
        if not nets:
            return base.where(literal(False))
        return base.where(or_(*nets)).order_by(rough.desc(), Client.id).limit(limit)
    for initial in sorted({w[0] for w in words}):
        nets.append(func.lower(Client.first_name).like(f"{initial}%"))
        nets.append(func.lower(Client.last_name).like(f"{initial}%"))
    return base.where(or_(*nets)).limit(limit * 10)


def rank(clients: list[Client], query: SearchQuery, min_score: float) -> list[Match]:
    """Score each client against every reading of the query; keep those reaching ``min_score``."""
    cfg = _config()
    asked = [prepare(r) for r in readings(query)]
    matches = []
    for client in clients:
        theirs = prepare(_as_record(client))
        best: tuple[float, list[str]] | None = None
        for reading in asked:
            scored = score_prepared(reading, theirs, cfg)
            if scored is not None and (best is None or scored[0] > best[0]):
                best = scored
        if best is not None and best[0] >= min_score:
            matches.append(Match(client, best[0], best[1]))
    matches.sort(key=lambda m: (-m.score, (m.client.last_name or "").lower(), (m.client.first_name or "").lower(),
                                m.client.id))
    return matches


def run(base: Select, query: SearchQuery, *, limit: int, min_score: float) -> list[Match]:
    """Candidates from the database, ranked; at most ``limit``."""
    if query.empty:
        return []
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        # Local to this transaction: the default (0.3) misses two-letter typos in short names.
        db.session.execute(select(func.set_config("pg_trgm.similarity_threshold", str(TRIGRAM_THRESHOLD), True)))
    clients = list(db.session.scalars(candidate_statement(base, query, dialect)))
    ranked = rank(clients, query, min_score)
    if not query.ssn:
        return ranked[:limit]
    # The whole SSN typed: the clients who have exactly it come first (client_ssn's keyed
    # hash; the number itself is never compared in SQL), then the rest as ranked.
    exact = list(db.session.scalars(base.where(sensitive.exact_match(query.ssn)).limit(limit)))
    ids = {c.id for c in exact}
    return ([Match(c, 98.0, ["SSN same"]) for c in exact] + [m for m in ranked if m.client.id not in ids])[:limit]
