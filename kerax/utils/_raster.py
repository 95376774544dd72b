"""A tiny RGB raster canvas and PNG encoder for ``plot_model``.

Just enough drawing for box-and-arrow diagrams: filled and outlined rectangles, thick
lines (Bresenham, stamped with a square pen), filled triangles for arrow heads, dashed
outlines, and text from the built-in bitmap font (:mod:`kerax.utils._font`). No
anti-aliasing. The encoder writes a truecolour 8-bit PNG with ``zlib`` and ``struct``
only: signature, ``IHDR``, ``pHYs`` (the resolution), ``IDAT``, ``IEND``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np

from kerax.utils import _font

Color = tuple[int, int, int]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def parse_color(color: str | Color) -> Color:
    """``"#rrggbb"`` (or an RGB tuple) as an RGB tuple."""
    if isinstance(color, tuple):
        return color
    text = color.lstrip("#")
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


class Canvas:
    """An RGB image to draw on, in integer pixel coordinates (origin top-left).

    Args:
        width: Width in pixels.
        height: Height in pixels.
        background: Fill colour.
    """

    def __init__(self, width: int, height: int, background: str | Color = "#ffffff") -> None:
        if width <= 0 or height <= 0:
            raise ValueError(f"Canvas size must be positive; received {width}x{height}.")
        self.width = int(width)
        self.height = int(height)
        self.pixels = np.empty((self.height, self.width, 3), dtype=np.uint8)
        self.pixels[:] = parse_color(background)

    # ------------------------------------------------------------ primitives
    def fill_rect(self, x0: float, y0: float, x1: float, y1: float, color: str | Color) -> None:
        """Fills the rectangle with corners ``(x0, y0)`` and ``(x1, y1)``, both included."""
        xa, xb = sorted((int(round(x0)), int(round(x1))))
        ya, yb = sorted((int(round(y0)), int(round(y1))))
        xa, ya = max(xa, 0), max(ya, 0)
        xb, yb = min(xb, self.width - 1), min(yb, self.height - 1)
        if xa <= xb and ya <= yb:
            self.pixels[ya : yb + 1, xa : xb + 1] = parse_color(color)

    def rect(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        color: str | Color,
        width: int = 1,
        dash: int = 0,
    ) -> None:
        """Outlines a rectangle with a border ``width`` pixels thick, drawn inwards.

        Args:
            x0: Left edge.
            y0: Top edge.
            x1: Right edge.
            y1: Bottom edge.
            color: Border colour.
            width: Border thickness in pixels.
            dash: Dash length in pixels; ``0`` draws a solid border.
        """
        x0, y0, x1, y1 = (int(round(v)) for v in (x0, y0, x1, y1))
        w = max(1, width)
        if not dash:
            self.fill_rect(x0, y0, x1, y0 + w - 1, color)
            self.fill_rect(x0, y1 - w + 1, x1, y1, color)
            self.fill_rect(x0, y0, x0 + w - 1, y1, color)
            self.fill_rect(x1 - w + 1, y0, x1, y1, color)
            return
        for start in range(x0, x1 + 1, 2 * dash):
            end = min(start + dash - 1, x1)
            self.fill_rect(start, y0, end, y0 + w - 1, color)
            self.fill_rect(start, y1 - w + 1, end, y1, color)
        for start in range(y0, y1 + 1, 2 * dash):
            end = min(start + dash - 1, y1)
            self.fill_rect(x0, start, x0 + w - 1, end, color)
            self.fill_rect(x1 - w + 1, start, x1, end, color)

    def line(
        self, x0: float, y0: float, x1: float, y1: float, color: str | Color, width: int = 1
    ) -> None:
        """Draws a straight line with Bresenham's algorithm and a square pen."""
        xa, ya, xb, yb = (int(round(v)) for v in (x0, y0, x1, y1))
        rgb = parse_color(color)
        lo = -((width - 1) // 2)
        hi = width // 2
        dx, dy = abs(xb - xa), -abs(yb - ya)
        sx, sy = (1 if xa < xb else -1), (1 if ya < yb else -1)
        err = dx + dy
        xs, ys = [], []
        while True:
            xs.append(xa)
            ys.append(ya)
            if xa == xb and ya == yb:
                break
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                xa += sx
            if e2 <= dx:
                err += dx
                ya += sy
        px, py = np.asarray(xs), np.asarray(ys)
        for ox in range(lo, hi + 1):
            for oy in range(lo, hi + 1):
                qx, qy = px + ox, py + oy
                keep = (qx >= 0) & (qx < self.width) & (qy >= 0) & (qy < self.height)
                self.pixels[qy[keep], qx[keep]] = rgb

    def polyline(
        self, points: Sequence[tuple[float, float]], color: str | Color, width: int = 1
    ) -> None:
        """Draws connected line segments through ``points``."""
        for (xa, ya), (xb, yb) in zip(points[:-1], points[1:]):
            self.line(xa, ya, xb, yb, color, width)

    def triangle(
        self,
        a: tuple[float, float],
        b: tuple[float, float],
        c: tuple[float, float],
        color: str | Color,
    ) -> None:
        """Fills a triangle (pixel centres inside it, edges included)."""
        xs = [a[0], b[0], c[0]]
        ys = [a[1], b[1], c[1]]
        xa, xb = max(int(np.floor(min(xs))), 0), min(int(np.ceil(max(xs))), self.width - 1)
        ya, yb = max(int(np.floor(min(ys))), 0), min(int(np.ceil(max(ys))), self.height - 1)
        if xa > xb or ya > yb:
            return
        gy, gx = np.mgrid[ya : yb + 1, xa : xb + 1].astype(float)

        def side(p: tuple[float, float], q: tuple[float, float]) -> np.ndarray:
            return (q[0] - p[0]) * (gy - p[1]) - (q[1] - p[1]) * (gx - p[0])

        s1, s2, s3 = side(a, b), side(b, c), side(c, a)
        eps = 1e-9
        inside = ((s1 >= -eps) & (s2 >= -eps) & (s3 >= -eps)) | (
            (s1 <= eps) & (s2 <= eps) & (s3 <= eps)
        )
        region = self.pixels[ya : yb + 1, xa : xb + 1]
        region[inside] = parse_color(color)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        color: str | Color,
        scale: int = 1,
        bold: bool = False,
    ) -> None:
        """Draws one line of text with its top-left corner at ``(x, y)``.

        Args:
            x: Left edge of the first glyph.
            y: Top of the glyph cells.
            text: The characters (printable ASCII; others show as ``?``).
            color: Ink colour.
            scale: Size of one font pixel in canvas pixels.
            bold: Draws the text twice, one canvas pixel apart.
        """
        mask = _font.render(text)
        if mask.size == 0:
            return
        if scale > 1:
            mask = np.repeat(np.repeat(mask, scale, axis=0), scale, axis=1)
        if bold:
            mask = mask | np.pad(mask, ((0, 0), (1, 0)))[:, :-1]
        x0, y0 = int(round(x)), int(round(y))
        h, w = mask.shape
        ya, yb = max(y0, 0), min(y0 + h, self.height)
        xa, xb = max(x0, 0), min(x0 + w, self.width)
        if ya >= yb or xa >= xb:
            return
        sub = mask[ya - y0 : yb - y0, xa - x0 : xb - x0]
        self.pixels[ya:yb, xa:xb][sub] = parse_color(color)

    # ------------------------------------------------------------ output
    def to_png(self, dpi: float | None = None) -> bytes:
        """The canvas encoded as PNG bytes (see :func:`encode_png`)."""
        return encode_png(self.pixels, dpi=dpi)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(pixels: np.ndarray, dpi: float | None = None) -> bytes:
    """Encodes an RGB image as a PNG file.

    Args:
        pixels: A ``(height, width, 3)`` ``uint8`` array.
        dpi: Resolution written to the ``pHYs`` chunk, if given.

    Returns:
        The bytes of the PNG file: 8-bit truecolour, no interlacing, each scanline
        with filter type 0 (none), compressed with zlib.
    """
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"Expected an (height, width, 3) array; received {pixels.shape}.")
    height, width, _ = pixels.shape
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = np.zeros((height, 1 + 3 * width), dtype=np.uint8)
    raw[:, 1:] = pixels.reshape(height, 3 * width)
    out = [PNG_SIGNATURE, _chunk(b"IHDR", header)]
    if dpi:
        per_metre = int(round(dpi / 0.0254))
        out.append(_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)))
    out.append(_chunk(b"IDAT", zlib.compress(memoryview(raw), 6)))
    out.append(_chunk(b"IEND", b""))
    return b"".join(out)
