"""The drawing vocabulary of ``plot_model``: sizes, colours, boxes and placed shapes.

Everything is measured in layout units. Text is set in a monospace font of
``FONT_SIZE`` units, so the width of a line is its length times ``CHAR_W`` with no
font file at hand: DejaVu Sans Mono (bundled with matplotlib, first in the SVG's font
list) advances 0.602 em per character in regular and bold alike, and other monospace
fonts come close; ``CHAR_W`` rounds up a little to leave room for them.

One unit is 1/64 inch: 1.5 CSS pixels in the SVG, ``dpi / 64`` pixels in the PNG and
9/8 point in the PDF, so all three show the same drawing at the same size.
"""

from __future__ import annotations

import dataclasses

UNITS_PER_INCH = 64.0
"""Layout units per inch, for the writers that place the drawing on a page."""
SVG_SCALE = 96.0 / UNITS_PER_INCH
"""CSS pixels per layout unit."""

FONT_SIZE = 10.0
CHAR_W = 0.62 * FONT_SIZE
LINE_H = 1.3 * FONT_SIZE
BASELINE = 0.36 * FONT_SIZE
"""From the middle of a line of text down to its baseline."""
FONT_FAMILY = "DejaVu Sans Mono"
SVG_FONTS = "DejaVu Sans Mono, Menlo, Consolas, monospace"

PAD_X = 8.0
PAD_Y = 5.0
TITLE_H = LINE_H + 2 * PAD_Y
MIN_BOX_W = 48.0
CLUSTER_PAD = 10.0
CLUSTER_LABEL_H = LINE_H + 4
ARROW_LEN = 8.0
ARROW_HALF = 3.5
BORDER_W = 1.0
EDGE_W = 1.2

BACKGROUND = "#ffffff"
BOX_FILL = "#ffffff"
TITLE_FILL = "#dce6f2"
INPUT_FILL = "#e2f0d9"
BORDER = "#34495e"
TEXT = "#17202a"
DETAIL = "#4a5560"
EDGE = "#2c3e50"
CLUSTER_FILL = "#f3f5f8"
CLUSTER_BORDER = "#8a96a3"

Key = tuple[str, ...]
"""A box's path: the names of the enclosing expanded models, then the layer's name."""
Point = tuple[float, float]


@dataclasses.dataclass(frozen=True, slots=True)
class Box:
    """One layer's box before layout.

    Attributes:
        key: The layer's path (see :data:`Key`).
        title: ``name (ClassName)`` or ``ClassName``.
        details: The lines under the title (shapes, dtype, activation, trainable).
        cluster: The path of the expanded nested model holding the box, ``()`` for none.
        is_input: Whether the layer is an ``InputLayer`` (drawn in another colour).
    """

    key: Key
    title: str
    details: tuple[str, ...]
    cluster: Key
    is_input: bool

    @property
    def width(self) -> float:
        widest = max(len(line) for line in (self.title, *self.details))
        return max(MIN_BOX_W, widest * CHAR_W + 2 * PAD_X)

    @property
    def height(self) -> float:
        if not self.details:
            return TITLE_H
        return TITLE_H + len(self.details) * LINE_H + 2 * PAD_Y


@dataclasses.dataclass(frozen=True, slots=True)
class PlacedBox:
    """A box and its top-left corner and size."""

    box: Box
    x: float
    y: float
    w: float
    h: float

    def text_lines(self) -> list[tuple[float, str, bool]]:
        """``(baseline, text, is_title)`` for each line of text, centred on ``x + w / 2``."""
        lines = [(self.y + TITLE_H / 2 + BASELINE, self.box.title, True)]
        middle = self.y + TITLE_H + PAD_Y + LINE_H / 2
        for text in self.box.details:
            lines.append((middle + BASELINE, text, False))
            middle += LINE_H
        return lines


@dataclasses.dataclass(frozen=True, slots=True)
class PlacedEdge:
    """An arrow from ``src`` to ``dst`` along ``points`` (the head at the last point)."""

    src: Key
    dst: Key
    points: tuple[Point, ...]

    @property
    def label(self) -> str:
        return f"{'/'.join(self.src)}->{'/'.join(self.dst)}"

    def shaft_and_head(self) -> tuple[list[Point], tuple[Point, Point, Point]]:
        """The polyline stopped at the arrowhead's base, and the head's triangle."""
        (xa, ya), (xb, yb) = self.points[-2], self.points[-1]
        dx, dy = xb - xa, yb - ya
        length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
        ux, uy = dx / length, dy / length
        bx, by = xb - ux * ARROW_LEN, yb - uy * ARROW_LEN
        head = (
            (xb, yb),
            (bx - uy * ARROW_HALF, by + ux * ARROW_HALF),
            (bx + uy * ARROW_HALF, by - ux * ARROW_HALF),
        )
        return [*self.points[:-1], (bx, by)], head


@dataclasses.dataclass(frozen=True, slots=True)
class PlacedCluster:
    """An expanded nested model: a labelled frame from ``(x0, y0)`` to ``(x1, y1)``."""

    label: str
    depth: int
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def label_baseline(self) -> tuple[float, float]:
        return self.x0 + CLUSTER_PAD, self.y0 + CLUSTER_LABEL_H / 2 + BASELINE


@dataclasses.dataclass(frozen=True, slots=True)
class Scene:
    """A laid-out diagram: clusters (outermost first), boxes and edges, in layout units."""

    width: float
    height: float
    boxes: tuple[PlacedBox, ...]
    edges: tuple[PlacedEdge, ...]
    clusters: tuple[PlacedCluster, ...]
