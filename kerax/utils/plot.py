"""``plot_model``: draws a model's graph as SVG, PNG or PDF, without graphviz.

The drawing follows Keras's ``plot_model``: one box per layer, one arrow per
producer/consumer pair, a shared layer drawn once with several arrows, laid out in
the layered style of graphviz's ``dot``. The work is split by concept:

* :mod:`kerax.utils._plot_diagram`: the model's graph as boxes, edges and clusters.
* :mod:`kerax.utils._plot_rank`: ranks, waypoints and crossing reduction.
* :mod:`kerax.utils._plot_layout`: coordinates, edge routes, the four directions.
* :mod:`kerax.utils._plot_scene`: sizes, colours and the placed shapes they share.
* :mod:`kerax.utils._plot_svg`: the SVG writer, with no dependency.
* :mod:`kerax.utils._plot_mpl`: the PNG and PDF writer, through matplotlib, the
  optional extra ``pip install "kerax[plot]"`` (its docstring says why matplotlib).

SVG always works; PNG and PDF need the extra and say so when it is missing.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from kerax.utils import _plot_mpl
from kerax.utils._plot_diagram import Options, diagram_of
from kerax.utils._plot_layout import RANKDIRS, layout
from kerax.utils._plot_scene import SVG_SCALE
from kerax.utils._plot_svg import render_svg

__all__ = ["PlotResult", "plot_model"]

_FORMATS = ("svg", *_plot_mpl.FORMATS)


@dataclasses.dataclass(frozen=True, slots=True)
class PlotResult:
    """What :func:`plot_model` returns: the file written and its bytes.

    In a notebook it displays itself (``_repr_png_`` or ``_repr_svg_``), as the
    ``IPython.display.Image`` returned by Keras does; elsewhere it can be used as a
    path (``os.fspath(result)``).

    Attributes:
        path: The file written.
        format: ``"svg"``, ``"png"`` or ``"pdf"``.
        data: The file's bytes.
        width: Image width: pixels for a PNG, CSS pixels for an SVG, points for a PDF.
        height: Image height, likewise.
    """

    path: str
    format: str
    data: bytes
    width: int
    height: int

    def _repr_png_(self) -> bytes | None:
        return self.data if self.format == "png" else None

    def _repr_svg_(self) -> str | None:
        return self.data.decode("utf-8") if self.format == "svg" else None

    def _repr_pdf_(self) -> bytes | None:
        return self.data if self.format == "pdf" else None

    def __fspath__(self) -> str:
        return self.path

    def __str__(self) -> str:
        return self.path


def plot_model(
    model: Any,
    to_file: str | os.PathLike[str] = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
) -> PlotResult:
    """Draws a model's graph to an SVG, PNG or PDF file.

    Each layer is a box titled ``name (ClassName)``; an arrow joins each layer to each
    layer consuming its output. A layer called several times (shared) is one box with
    several arrows. No graphviz is needed: the layout is kerax's own, the SVG is
    written directly, and PNG and PDF are drawn with matplotlib.

    Example:
        >>> import kerax
        >>> x = kerax.Input(shape=(3,), name="x")
        >>> model = kerax.Model(x, kerax.layers.Dense(2, name="out")(x))
        >>> kerax.utils.plot_model(model, "model.svg", show_shapes=True).format
        'svg'

    Args:
        model: A built ``Model`` or ``Sequential``.
        to_file: Where to write; the extension picks the format: ``.svg`` (no
            dependency), ``.png`` (also the default without an extension) or ``.pdf``
            (both need matplotlib: ``pip install "kerax[plot]"``).
        show_shapes: Adds each layer's input and output shapes (``multiple`` for a
            shared layer whose calls differ).
        show_dtype: Adds the output dtype.
        show_layer_names: Titles boxes ``name (ClassName)`` instead of ``ClassName``.
        rankdir: ``"TB"`` (top to bottom), ``"LR"`` (left to right), or ``"BT"`` /
            ``"RL"`` for the reversed directions.
        expand_nested: Draws a nested model as a labelled cluster of its own layers
            instead of one box.
        dpi: Resolution of the PNG, recorded in the file; at 96 dpi one CSS pixel of
            the SVG is 2/3 of a pixel. SVG and PDF are vector and ignore it.
        show_layer_activations: Adds the activation of layers that have one.
        show_trainable: Adds ``Trainable: Y`` or ``Trainable: N``.

    Returns:
        A :class:`PlotResult` holding the path and the bytes written; it renders
        itself in notebooks.

    Raises:
        ValueError: For an extension other than ``.svg`` / ``.png`` / ``.pdf``, an
            unknown ``rankdir``, or a model that is not built yet.
        ImportError: For ``.png`` or ``.pdf`` when matplotlib is not installed.
    """
    path = os.fspath(to_file)
    extension = os.path.splitext(path)[1].lower().lstrip(".") or "png"
    if extension not in _FORMATS:
        raise ValueError(
            f"plot_model writes SVG, PNG or PDF files; received to_file={path!r} "
            f"(extension '.{extension}'). Use '.svg' (no dependency), or '.png' / '.pdf' "
            '(with `pip install "kerax[plot]"`).'
        )
    direction = str(rankdir).upper()
    if direction not in RANKDIRS:
        raise ValueError(
            f"Unknown rankdir {rankdir!r}: use 'TB' (top to bottom) or 'LR' (left to "
            "right), or 'BT' / 'RL'."
        )
    if not hasattr(model, "graph"):
        raise ValueError(
            f"plot_model expects a functional Model or a Sequential; received "
            f"{type(model).__name__}."
        )
    options = Options(
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        expand_nested=expand_nested,
    )
    scene = layout(diagram_of(model, options), direction)
    if extension == "svg":
        data = render_svg(scene).encode("utf-8")
        width, height = round(scene.width * SVG_SCALE), round(scene.height * SVG_SCALE)
    else:
        title = getattr(model, "name", "")
        data, width, height = _plot_mpl.render(scene, extension, dpi, title=title)
    with open(path, "wb") as f:
        f.write(data)
    return PlotResult(path=path, format=extension, data=data, width=width, height=height)
