"""The observatory layer: the one service the CLI and the web call.

* :mod:`~leftbehind.observatory.views`: views prepared once per store build;
* :mod:`~leftbehind.observatory.service`: :class:`Observatory`, reading them;
* :mod:`~leftbehind.observatory.funding`: allocations and grant summaries;
* :mod:`~leftbehind.observatory.models`: the documents' response models;
* :mod:`~leftbehind.observatory.payload`: bytes with gzip copy and ETag.
"""

from __future__ import annotations

from leftbehind.observatory.payload import Payload
from leftbehind.observatory.service import EditionView, Observatory

__all__ = ["EditionView", "Observatory", "Payload"]
