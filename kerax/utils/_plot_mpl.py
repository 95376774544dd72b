"""The PNG and PDF writer of ``plot_model``, drawn with matplotlib (``kerax[plot]``).

Why matplotlib: a PNG needs fonts rasterized with antialiasing and a PDF needs fonts
embedded, and neither is worth writing by hand. matplotlib does both from one drawing,
ships DejaVu Sans Mono (the monospace font the layout measures, so boxes fit their
text exactly), has wheels for every platform on PyPI, and is maintained and widely
installed already. graphviz would need a system binary, and Pillow alone has neither
PDF text nor a bundled monospace font. The figure is drawn with the object API
(``Figure`` and its canvas, never ``pyplot``), so no GUI backend is touched and no
global figure is left open.

PDF text is embedded as TrueType (``pdf.fonttype`` 42), so it stays selectable and
searchable.
"""

from __future__ import annotations

import io
import struct
from typing import Any

from kerax.utils import _plot_scene as s
from kerax.utils._plot_scene import Scene

FORMATS = ("png", "pdf")
_PT = 72.0 / s.UNITS_PER_INCH
"""Points per layout unit, for font sizes and line widths."""
# Drawing order: frames under boxes, boxes under their text, arrows over boxes, and the
# frames' labels last on a patch of the frame's fill, so that an arrow entering a
# frame through its label strip passes under the text.
_Z_CLUSTER, _Z_BOX, _Z_TEXT, _Z_EDGE, _Z_LABEL = 1, 2, 3, 4, 5


def _require_matplotlib(fmt: str) -> Any:
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(
            f"plot_model needs matplotlib to write a {fmt.upper()} file; it is not "
            'installed. Install it with `pip install "kerax[plot]"`, or write an SVG '
            "instead (to_file='model.svg'), which needs nothing."
        ) from error
    return matplotlib


def render(scene: Scene, fmt: str, dpi: float, title: str = "") -> tuple[bytes, int, int]:
    """Draws the scene and returns the file's bytes and the image's size.

    Args:
        scene: The laid-out diagram.
        fmt: ``"png"`` or ``"pdf"``.
        dpi: Pixels per inch of the PNG (recorded in the file); a PDF is vector.
        title: The document title recorded in the PDF's metadata.

    Returns:
        The PNG or PDF file, and its width and height: pixels for a PNG (as written,
        matplotlib rounds the figure's size), points for a PDF.

    Raises:
        ImportError: matplotlib is not installed (the ``kerax[plot]`` extra).
    """
    matplotlib = _require_matplotlib(fmt)
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon, Rectangle

    fig = Figure(figsize=(scene.width / s.UNITS_PER_INCH, scene.height / s.UNITS_PER_INCH), dpi=dpi)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0.0, scene.width)
    ax.set_ylim(scene.height, 0.0)  # y grows downwards, as in the scene
    ax.set_axis_off()

    def text(x: float, y: float, value: str, color: str, bold: bool, centred: bool) -> Any:
        return ax.text(
            x,
            y,
            value,
            color=color,
            fontsize=s.FONT_SIZE * _PT,
            fontfamily=s.FONT_FAMILY,
            fontweight="bold" if bold else "normal",
            ha="center" if centred else "left",
            va="baseline",
            zorder=_Z_TEXT,
        )

    for c in scene.clusters:
        frame = Rectangle((c.x0, c.y0), c.x1 - c.x0, c.y1 - c.y0, zorder=_Z_CLUSTER)
        frame.set(facecolor=s.CLUSTER_FILL, edgecolor=s.CLUSTER_BORDER, linestyle="--")
        frame.set_linewidth(s.BORDER_W * _PT)
        ax.add_patch(frame)
        label = text(*c.label_baseline, c.label, s.DETAIL, bold=True, centred=False)
        label.set_zorder(_Z_LABEL)
        label.set_bbox({"boxstyle": "square,pad=0.1", "facecolor": s.CLUSTER_FILL, "linewidth": 0})
    for p in scene.boxes:
        band = s.INPUT_FILL if p.box.is_input else s.TITLE_FILL
        ax.add_patch(Rectangle((p.x, p.y), p.w, p.h, facecolor=s.BOX_FILL, zorder=_Z_BOX))
        ax.add_patch(Rectangle((p.x, p.y), p.w, s.TITLE_H, facecolor=band, zorder=_Z_BOX))
        if p.box.details:
            rule = Line2D((p.x, p.x + p.w), (p.y + s.TITLE_H,) * 2, zorder=_Z_BOX)
            rule.set(color=s.BORDER, linewidth=0.6 * _PT)
            ax.add_line(rule)
        outline = Rectangle((p.x, p.y), p.w, p.h, fill=False, zorder=_Z_BOX)
        outline.set(edgecolor=s.BORDER, linewidth=s.BORDER_W * _PT)
        ax.add_patch(outline)
        for baseline, line, is_title in p.text_lines():
            color = s.TEXT if is_title else s.DETAIL
            text(p.x + p.w / 2, baseline, line, color, bold=is_title, centred=True)
    for e in scene.edges:
        shaft, head = e.shaft_and_head()
        xs, ys = zip(*shaft)
        line = Line2D(xs, ys, color=s.EDGE, linewidth=s.EDGE_W * _PT, zorder=_Z_EDGE)
        line.set(solid_joinstyle="round", solid_capstyle="butt")
        ax.add_line(line)
        ax.add_patch(Polygon(head, closed=True, facecolor=s.EDGE, edgecolor="none", zorder=_Z_EDGE))

    buffer = io.BytesIO()
    metadata = {"Title": title, "Creator": "kerax plot_model"} if fmt == "pdf" else None
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig.savefig(buffer, format=fmt, dpi=dpi, facecolor=s.BACKGROUND, metadata=metadata)
    data = buffer.getvalue()
    if fmt == "png":
        width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
        return data, width, height
    return data, round(scene.width * _PT), round(scene.height * _PT)
