"""The SVG writer of ``plot_model``: a scene as an SVG document, with no dependency.

Every box is a ``<g class="node">`` and every arrow a ``<g class="edge">``, each with a
``<title>`` (the layer's path, or ``src->dst``) that browsers show on hover and that
tests and scripts can read back; an expanded nested model is a ``<g class="cluster">``.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from kerax.utils import _plot_scene as s
from kerax.utils._plot_scene import Point, Scene


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _rect(x: float, y: float, w: float, h: float, attrs: str) -> str:
    return f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" {attrs}/>'


def _text(x: float, y: float, text: str, attrs: str) -> str:
    return f'<text x="{_num(x)}" y="{_num(y)}" {attrs}>{escape(text)}</text>'


def _points(points: list[Point] | tuple[Point, ...]) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in points)


def render_svg(scene: Scene) -> str:
    """The scene as an SVG document (UTF-8 text), one layout unit to 1.5 CSS pixels."""
    w, h = scene.width, scene.height
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{round(w * s.SVG_SCALE)}" '
        f'height="{round(h * s.SVG_SCALE)}" viewBox="0 0 {_num(w)} {_num(h)}" '
        f'font-family="{s.SVG_FONTS}" font-size="{_num(s.FONT_SIZE)}">',
        f'<rect class="background" width="{_num(w)}" height="{_num(h)}" fill="{s.BACKGROUND}"/>',
    ]
    for c in scene.clusters:
        out.append(f'<g class="cluster"><title>{escape(c.label)}</title>')
        out.append(
            _rect(
                c.x0,
                c.y0,
                c.x1 - c.x0,
                c.y1 - c.y0,
                f'rx="4" fill="{s.CLUSTER_FILL}" stroke="{s.CLUSTER_BORDER}" '
                'stroke-dasharray="4 3"',
            )
        )
        out.append("</g>")
    for p in scene.boxes:
        name = "/".join(p.box.key)
        fill = s.INPUT_FILL if p.box.is_input else s.TITLE_FILL
        out.append(f'<g class="node" id={quoteattr("node-" + name)}><title>{escape(name)}</title>')
        out.append(_rect(p.x, p.y, p.w, p.h, f'class="box" fill="{s.BOX_FILL}"'))
        out.append(_rect(p.x, p.y, p.w, s.TITLE_H, f'fill="{fill}"'))
        if p.box.details:
            line = f'points="{_points([(p.x, p.y + s.TITLE_H), (p.x + p.w, p.y + s.TITLE_H)])}"'
            out.append(f'<polyline {line} stroke="{s.BORDER}" stroke-width="0.6"/>')
        out.append(
            _rect(
                p.x, p.y, p.w, p.h, f'fill="none" stroke="{s.BORDER}" stroke-width="{s.BORDER_W}"'
            )
        )
        for baseline, text, is_title in p.text_lines():
            look = f'fill="{s.TEXT}" font-weight="bold"' if is_title else f'fill="{s.DETAIL}"'
            out.append(_text(p.x + p.w / 2, baseline, text, f'text-anchor="middle" {look}'))
        out.append("</g>")
    for e in scene.edges:
        shaft, head = e.shaft_and_head()
        out.append(
            f'<g class="edge"><title>{escape(e.label)}</title>'
            f'<polyline points="{_points(shaft)}" fill="none" stroke="{s.EDGE}" '
            f'stroke-width="{s.EDGE_W}"/>'
            f'<polygon points="{_points(head)}" fill="{s.EDGE}"/></g>'
        )
    # Cluster labels last, haloed in the cluster's fill, so an arrow entering the
    # cluster through its label strip passes under the text.
    for c in scene.clusters:
        look = (
            f'fill="{s.DETAIL}" font-weight="bold" stroke="{s.CLUSTER_FILL}" '
            'stroke-width="3" paint-order="stroke"'
        )
        out.append(_text(*c.label_baseline, c.label, f'class="cluster-label" {look}'))
    out.append("</svg>")
    return "\n".join(out) + "\n"
