"""Raster images from the project's own SVG (server-side, CairoSVG): PNG copies of charts to
take away, and the site's favicon as ICO (drawn in SVG by this project)."""

from __future__ import annotations

import struct


def svg_to_png(svg: str, scale: float = 2.0, background: str | None = "#ffffff") -> bytes:
    """A PNG of an SVG document (``scale`` x its drawn size; white background by default so the
    chart reads on any page).

    >>> png = svg_to_png('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"/>')
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    import cairosvg

    return cairosvg.svg2png(
        bytestring=svg.encode("utf-8"), scale=scale, background_color=background, unsafe=False
    )


def ico_from_svg(svg: str, sizes: tuple[int, ...] = (16, 32, 48)) -> bytes:
    """An ICO file holding one PNG per size (the ICO format allows PNG images since Vista).

    >>> ico = ico_from_svg('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>', (16,))
    >>> struct.unpack("<HHH", ico[:6])
    (0, 1, 1)
    """
    import cairosvg

    images = [
        cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=n, output_height=n)
        for n in sizes
    ]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, data = b"", b""
    for n, png in zip(sizes, images, strict=True):
        entries += struct.pack("<BBBBHHII", n % 256, n % 256, 0, 0, 1, 32, len(png), offset)
        offset += len(png)
        data += png
    return header + entries + data
