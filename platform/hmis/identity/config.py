"""Matching settings: weights, threshold and blocking limits, from ``admin/matching.yaml``.

The file is merged over :data:`DEFAULTS`, so it may set only what it changes. Anything
unknown or of the wrong type is refused with a message naming the key, so a typo never
silently falls back to a default.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

__all__ = ["DEFAULTS", "MatchingConfig", "MatchingConfigError", "default_config_path", "load_config"]

#: Fellegi-Sunter style weights (roughly log2 of m/u) for each comparison outcome. A pair's
#: score is their sum; it is a candidate duplicate at ``threshold`` or more.
DEFAULTS: dict[str, Any] = {
    "threshold": 9.0,
    # Two records that each match a third one are compared as well, and kept at this lower score.
    "linked_threshold": 5.0,
    "weights": {
        "ssn": {"exact": 9.0, "one_digit": 5.0, "transposed": 5.0, "last4": 3.0, "disagree": -8.0,
                "last4_disagree": -5.0},
        "dob": {"exact": 8.0, "transposed": 4.5, "one_digit": 4.0, "day_month_swap": 4.5,
                "year_off_by_one": 2.0, "same_year_approximate": 1.5,
                "approximate_same": 4.0, "disagree": -6.0},
        "first_name": {"exact": 3.0, "nickname": 2.5, "similar": 1.5, "initial": 0.0, "weak": 0.0,
                       "disagree": -3.5},
        "last_name": {"exact": 3.5, "compound": 2.5, "similar": 1.5, "weak": 0.0, "both_missing": 2.0,
                      "disagree": -3.0},
        "swapped_names": -0.5,
        "sex": {"agree": 0.5, "disagree": -2.0},
        "suffix_disagree": -3.0,
    },
    "similarity": {"similar": 0.88},  # Jaro-Winkler at or above which two names are "similar"
    "blocking": {"max_block_size": 300, "max_links": 20},
}


class MatchingConfigError(ValueError):
    """The matching settings file is unreadable or has a bad value."""


@dataclass(frozen=True)
class MatchingConfig:
    threshold: float = DEFAULTS["threshold"]
    linked_threshold: float | None = DEFAULTS["linked_threshold"]
    weights: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS["weights"]))
    similar: float = DEFAULTS["similarity"]["similar"]
    max_block_size: int = DEFAULTS["blocking"]["max_block_size"]
    max_links: int = DEFAULTS["blocking"]["max_links"]
    source: str = "built-in defaults"

    def with_threshold(self, threshold: float | None) -> MatchingConfig:
        if threshold is None:
            return self
        return replace(self, threshold=float(threshold))


def default_config_path() -> Path | None:
    """``$HMIS_MATCHING_CONFIG``, else the repository's ``admin/matching.yaml`` when present."""
    env = os.environ.get("HMIS_MATCHING_CONFIG")
    if env:
        return Path(env)
    shipped = Path(__file__).resolve().parents[3] / "admin" / "matching.yaml"
    return shipped if shipped.is_file() else None


def _merge(base: dict[str, Any], given: Any, path: str, where: str) -> dict[str, Any]:
    if not isinstance(given, dict):
        raise MatchingConfigError(f"{where}: '{path or 'the file'}' must be a mapping, not {type(given).__name__}")
    out = copy.deepcopy(base)
    for key, value in given.items():
        here = f"{path}.{key}" if path else str(key)
        if key not in base:
            known = ", ".join(sorted(base))
            raise MatchingConfigError(f"{where}: unknown setting '{here}' (expected one of: {known})")
        if isinstance(base[key], dict):
            out[key] = _merge(base[key], value, here, where)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise MatchingConfigError(f"{where}: '{here}' must be a number, not {value!r}")
        else:
            out[key] = value
    return out


def load_config(path: str | Path | None = None) -> MatchingConfig:
    """Read and validate the settings (``path`` or :func:`default_config_path`)."""
    path = Path(path) if path else default_config_path()
    if path is None:
        return MatchingConfig()
    where = str(path)
    try:
        body = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MatchingConfigError(f"{where}: cannot read the file: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark else ""
        raise MatchingConfigError(f"{where}: not valid YAML{at}: {getattr(exc, 'problem', exc)}") from exc
    if body is None:
        body = {}
    if isinstance(body, dict):  # the definition store's header fields (id, kind, title, ...)
        body = {k: v for k, v in body.items() if k not in ("id", "kind", "title", "version", "description")}
    merged = _merge({k: v for k, v in DEFAULTS.items()}, body, "", where)
    similar = float(merged["similarity"]["similar"])
    if not 0 < similar <= 1:
        raise MatchingConfigError(f"{where}: 'similarity.similar' must be between 0 and 1, not {similar}")
    cap = merged["blocking"]["max_block_size"]
    if cap != int(cap) or cap < 2:
        raise MatchingConfigError(f"{where}: 'blocking.max_block_size' must be a whole number of at least 2")
    links = merged["blocking"]["max_links"]
    if links != int(links) or links < 2:
        raise MatchingConfigError(f"{where}: 'blocking.max_links' must be a whole number of at least 2")
    return MatchingConfig(float(merged["threshold"]), float(merged["linked_threshold"]), merged["weights"],
                          similar, int(cap), int(links), where)
