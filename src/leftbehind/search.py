"""Typo-tolerant search over area names and codes (trigram candidates, difflib re-ranking): the
one name index the CLI and the web use."""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from typing import Any

_PUNCT = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Lower case, punctuation and extra spaces removed ('St. Mary's' -> 'st marys')."""
    text = text.lower().replace("'", "").replace("’", "").replace("&", " and ")
    return _PUNCT.sub(" ", text).strip()


def trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class NameIndex:
    """Areas and local authorities of one edition, searchable by name or code."""

    def __init__(
        self,
        areas: list[tuple[str, str, str]],
        local_authorities: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
    ):
        # entries: (code, name, context, kind, normalised name)
        self.entries: list[tuple[str, str, str, str, str]] = []
        for code, name, context in areas:
            self.entries.append((code, name, context, "area", normalise(name)))
        for code, name, context in local_authorities:
            self.entries.append((code, name, context, "la", normalise(name)))
        self.by_code = {e[0].upper(): i for i, e in enumerate(self.entries)}
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, entry in enumerate(self.entries):
            for gram in trigrams(entry[4]):
                self.postings[gram].append(i)

    @classmethod
    def of(cls, entries: list[tuple[str, str, str, str]]) -> NameIndex:
        """An index of ``(code, name, context, kind)`` entries (kind e.g. a geography)."""
        index = cls([])
        for code, name, context, kind in entries:
            index.entries.append((code, name, context, kind, normalise(name)))
        index.by_code = {e[0].upper(): i for i, e in enumerate(index.entries)}
        for i, entry in enumerate(index.entries):
            for gram in trigrams(entry[4]):
                index.postings[gram].append(i)
        return index

    def exact(self, query: str) -> list[dict[str, Any]]:
        """Every entry whose name is the query, ignoring case and punctuation."""
        q = normalise(query or "")
        return [self._item(i, 1.0) for i, e in enumerate(self.entries) if q and e[4] == q]

    def _item(self, i: int, score: float) -> dict[str, Any]:
        code, name, context, kind, _ = self.entries[i]
        return {"code": code, "name": name, "context": context, "kind": kind, "score": score}

    def search(self, query: str, limit: int = 8) -> list[dict[str, Any]]:
        raw = (query or "").strip()
        if not raw:
            return []
        limit = max(1, min(limit, 50))
        exact_code = self.by_code.get(raw.upper())
        if exact_code is not None:
            return [self._item(exact_code, 1.0)]
        q = normalise(raw)
        if not q:
            return []
        scores: dict[int, float] = {}
        # Codes by prefix ('E0500002' -> E05000020 ... ).
        upper = raw.upper().replace(" ", "")
        if len(upper) >= 4 and upper[:1].isalpha() and upper[1:3].isdigit():
            for code, i in self.by_code.items():
                if code.startswith(upper):
                    scores[i] = 0.9
                    if len(scores) >= limit:
                        break
            if not scores:  # a mistyped code ('E05000029X', 'E0500028'): the nearest codes
                for code in difflib.get_close_matches(upper, self.by_code, n=limit, cutoff=0.8):
                    scores[self.by_code[code]] = 0.8
        # Exact, prefix and word-prefix matches on names.
        for i, entry in enumerate(self.entries):
            norm = entry[4]
            if norm == q:
                scores[i] = max(scores.get(i, 0), 1.0 if entry[3] == "area" else 0.99)
            elif norm.startswith(q):
                scores[i] = max(scores.get(i, 0), 0.95 - 0.001 * (len(norm) - len(q)))
            elif f" {q}" in f" {norm}":
                scores[i] = max(scores.get(i, 0), 0.85 - 0.001 * (len(norm) - len(q)))
        if len(scores) < limit:
            # Typo tolerance: trigram overlap, then difflib's ratio on the best candidates.
            grams = trigrams(q)
            counts: Counter[int] = Counter()
            for gram in grams:
                for i in self.postings.get(gram, ()):
                    counts[i] += 1
            candidates = [i for i, _ in counts.most_common(60) if i not in scores]
            for i in candidates:
                norm = self.entries[i][4]
                ratio = difflib.SequenceMatcher(None, q, norm).ratio()
                # Also compare against the name's leading words of the query's length.
                head = norm[: len(q) + 1]
                ratio = max(ratio, difflib.SequenceMatcher(None, q, head).ratio() - 0.05)
                if ratio >= 0.6:
                    scores[i] = round(0.8 * ratio, 4)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], self.entries[kv[0]][1]))
        return [self._item(i, round(s, 3)) for i, s in ranked[:limit]]
