"""Rank scaling and the exponential transformation of the English Indices of Deprivation.

The English Indices of Deprivation 2019 Technical Report (MHCLG, 2019), section 3.9, combines
domains after an exponential transformation of their ranks:

    "X = -23 ln(1 - R(1 - exp(-100/23)))  where R is the rank of the LSOA, scaled to the range
     [0,1], with R = 1/N for the least deprived, and R = N/N, that is, R = 1, for the most deprived
     LSOA, and N is the number of LSOAs in England."

The transformed score runs from 0 (least deprived) to 100 (most deprived).  The Community Needs
Index (OCSI) combines its three domains with the same transformation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

EXPONENTIAL_CONSTANT = 23.0


def scaled_rank(rank: ArrayLike, n: int) -> NDArray[np.float64]:
    """Scale ranks (1 = most deprived) to (0, 1]: most deprived -> 1, least deprived -> 1/N.

    >>> scaled_rank([1, 4], 4).tolist()
    [1.0, 0.25]
    """
    r = np.asarray(rank, dtype=np.float64)
    return (n + 1.0 - r) / n


def exponential_transform(
    rank: ArrayLike, n: int, constant: float = EXPONENTIAL_CONSTANT
) -> NDArray[np.float64]:
    """Exponentially transform ranks (1 = most deprived) to scores from ~0 to 100.

    >>> round(float(exponential_transform([1], 10)[0]), 6)
    100.0
    """
    r = scaled_rank(rank, n)
    return -constant * np.log(1.0 - r * (1.0 - np.exp(-100.0 / constant)))


def rank_descending(scores: ArrayLike) -> NDArray[np.int64]:
    """Rank scores so that the highest score (most deprived) gets rank 1; ties by order.

    >>> rank_descending([0.5, 2.0, 1.0]).tolist()
    [3, 1, 2]
    """
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    ranks = np.empty(len(s), dtype=np.int64)
    ranks[order] = np.arange(1, len(s) + 1)
    return ranks


def decile_of_rank(rank: ArrayLike, n: int) -> NDArray[np.int64]:
    """Decile from rank: 1 = most deprived 10% of the N areas, 10 = least deprived.

    >>> decile_of_rank([1, 10, 11, 100], 100).tolist()
    [1, 1, 2, 10]
    """
    r = np.asarray(rank, dtype=np.float64)
    return np.ceil(r * 10.0 / n).astype(np.int64)
