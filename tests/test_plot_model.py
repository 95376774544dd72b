"""``kerax.utils.plot_model``: SVG structure, PNG and PDF output, layout, errors."""

from __future__ import annotations

import importlib.util
import re
import sys
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest

import kerax
from kerax import layers
from kerax.layers import Dense, Input, concatenate
from kerax.models import Model, Sequential
from kerax.utils import plot_model

SVG = "{http://www.w3.org/2000/svg}"


def _multi_io_model() -> Model:
    """Two inputs, two outputs, and a Dense layer shared by both inputs."""
    a = Input(shape=(6,), name="left")
    b = Input(shape=(6,), name="right")
    shared = Dense(4, activation="relu", name="shared")
    sa, sb = shared(a), shared(b)
    merged = concatenate([sa, sb], name="merged")
    hidden = Dense(8, activation="relu", name="hidden")(merged)
    main = Dense(1, activation="sigmoid", name="main_out")(hidden)
    aux = Dense(2, name="aux_out")(sb)
    return Model(inputs=[a, b], outputs=[main, aux], name="multi")


# left->shared, right->shared, shared->merged (one edge for two calls), merged->hidden,
# hidden->main_out, shared->aux_out.
MULTI_EDGES = 6


def _ticket_model() -> Model:
    """The functional API guide's ticket ranker: title, body and tags in; priority and
    department out."""
    title = Input(shape=(None,), name="title")
    body = Input(shape=(None,), name="body")
    tags = Input(shape=(12,), name="tags")
    title_features = layers.LSTM(128, name="title_lstm")(
        layers.Embedding(10000, 64, name="title_embedding")(title)
    )
    body_features = layers.LSTM(32, name="body_lstm")(
        layers.Embedding(10000, 64, name="body_embedding")(body)
    )
    x = concatenate([title_features, body_features, tags], name="features")
    priority = Dense(1, name="priority")(x)
    department = Dense(4, name="department")(x)
    return Model(
        inputs=[title, body, tags],
        outputs={"priority": priority, "department": department},
        name="ticket_classifier",
    )


TICKET_EDGES = {
    "title->title_embedding",
    "title_embedding->title_lstm",
    "body->body_embedding",
    "body_embedding->body_lstm",
    "title_lstm->features",
    "body_lstm->features",
    "tags->features",
    "features->priority",
    "features->department",
}


@pytest.fixture(scope="module")
def model() -> Model:
    return _multi_io_model()


@pytest.fixture(scope="module")
def ticket_model() -> Model:
    return _ticket_model()


def _svg_titles(root: ET.Element, kind: str) -> set[str]:
    return {g.find(f"{SVG}title").text for g in root.findall(f"{SVG}g[@class='{kind}']")}


def _pdf_text(data: bytes) -> list[str]:
    """The strings shown by the PDF's text operators, one per ``Tj`` / ``TJ``.

    matplotlib embeds the font as TrueType (Type 42) with two-byte character codes
    equal to the Unicode code points, so each string decodes as UTF-16BE.
    """
    escapes = {b"n": b"\n", b"r": b"\r"}
    shown = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        for operand in re.findall(rb"(\[.*?\]\s*TJ|\((?:\\.|[^\\)])*\)\s*Tj)", content, re.S):
            parts = re.findall(rb"\(((?:\\.|[^\\)])*)\)", operand, re.S)
            raw = b"".join(
                re.sub(rb"\\(.)", lambda m: escapes.get(m[1], m[1]), part, flags=re.S)
                for part in parts
            )
            shown.append(raw.decode("utf-16-be"))
    return shown


def test_svg_is_xml_with_one_box_per_layer_and_one_edge_per_connection(model, tmp_path):
    result = plot_model(model, to_file=tmp_path / "m.svg", show_shapes=True)
    assert result.format == "svg" and result._repr_png_() is None
    root = ET.parse(tmp_path / "m.svg").getroot()
    assert root.tag == f"{SVG}svg"
    nodes = root.findall(f"{SVG}g[@class='node']")
    titles = sorted(n.find(f"{SVG}title").text for n in nodes)
    assert titles == sorted(layer.name for layer in model.layers)
    edges = root.findall(f"{SVG}g[@class='edge']")
    assert len(edges) == MULTI_EDGES
    labels = {e.find(f"{SVG}title").text for e in edges}
    assert {"left->shared", "right->shared", "shared->aux_out"} <= labels
    text = " ".join(t.text for t in root.iter(f"{SVG}text"))
    assert "shared (Dense)" in text and "Output shape: (None, 4)" in text
    assert "Input shape: [(None, 4), (None, 4)]" in text
    assert result._repr_svg_().startswith("<?xml")


def test_box_text_options(model, tmp_path):
    plot_model(
        model,
        tmp_path / "o.svg",
        show_layer_names=False,
        show_dtype=True,
        show_layer_activations=True,
        show_trainable=True,
    )
    root = ET.parse(tmp_path / "o.svg").getroot()
    text = [t.text for t in root.iter(f"{SVG}text")]
    assert "Dense" in text and "shared (Dense)" not in text
    assert "Activation: sigmoid" in text and "Output dtype: float32" in text
    assert "Trainable: Y" in text


def test_rankdir_swaps_the_aspect(tmp_path):
    model = Sequential([Input(shape=(3,)), Dense(4), Dense(4), Dense(4), Dense(2)])
    tb = plot_model(model, tmp_path / "tb.svg", rankdir="TB")
    lr = plot_model(model, tmp_path / "lr.svg", rankdir="LR")
    assert tb.height > tb.width and lr.width > lr.height
    bt = plot_model(model, tmp_path / "bt.svg", rankdir="BT")
    assert (bt.width, bt.height) == (tb.width, tb.height)


def test_expand_nested_draws_a_cluster(tmp_path):
    inner_in = Input(shape=(4,), name="inner_in")
    inner = Model(inner_in, Dense(2, name="inner_dense")(inner_in), name="tower")
    x = Input(shape=(4,), name="outer_in")
    outer = Model(x, Dense(1, name="head")(inner(x)), name="outer")
    root = ET.fromstring(plot_model(outer, tmp_path / "f.svg").data)
    assert len(root.findall(f"{SVG}g[@class='node']")) == 3
    assert not root.findall(f"{SVG}g[@class='cluster']")
    root = ET.fromstring(plot_model(outer, tmp_path / "e.svg", expand_nested=True).data)
    assert [c.find(f"{SVG}title").text for c in root.findall(f"{SVG}g[@class='cluster']")] == [
        "tower (Model)"
    ]
    titles = {n.find(f"{SVG}title").text for n in root.findall(f"{SVG}g[@class='node']")}
    assert titles == {"outer_in", "tower/inner_in", "tower/inner_dense", "head"}
    edges = {e.find(f"{SVG}title").text for e in root.findall(f"{SVG}g[@class='edge']")}
    assert edges == {
        "outer_in->tower/inner_in",
        "tower/inner_in->tower/inner_dense",
        "tower/inner_dense->head",
    }


def test_shared_layer_called_in_a_chain_is_one_box(tmp_path):
    x = Input(shape=(3,), name="x")
    shared = Dense(3, name="twice")
    model = Model(x, shared(Dense(3, name="between")(shared(x))))
    root = ET.fromstring(plot_model(model, tmp_path / "c.svg").data)
    assert len(root.findall(f"{SVG}g[@class='node']")) == 3
    assert _svg_titles(root, "edge") == {"x->twice", "twice->between", "between->twice"}
    if importlib.util.find_spec("matplotlib"):
        plot_model(model, tmp_path / "c.png")  # a cycle between boxes still renders


def test_errors(model, tmp_path):
    with pytest.raises(ValueError, match=r"\.jpg"):
        plot_model(model, tmp_path / "m.jpg")
    with pytest.raises(ValueError, match="rankdir"):
        plot_model(model, tmp_path / "m.svg", rankdir="diagonal")
    with pytest.raises(ValueError, match="built"):
        plot_model(Sequential([Dense(2)]), tmp_path / "m.svg")
    assert not list(tmp_path.iterdir())


def test_exported_under_keras_names():
    assert kerax.utils.plot_model is plot_model


# ------------------------------------------------- the guide's ticket model, every format


def test_ticket_model_svg_has_every_layer_and_edge(ticket_model, tmp_path):
    result = plot_model(ticket_model, tmp_path / "t.svg", show_shapes=True)
    root = ET.parse(tmp_path / "t.svg").getroot()
    assert _svg_titles(root, "node") == {layer.name for layer in ticket_model.layers}
    assert _svg_titles(root, "edge") == TICKET_EDGES
    text = {t.text for t in root.iter(f"{SVG}text")}
    assert {"title (InputLayer)", "features (Concatenate)", "priority (Dense)"} <= text
    assert "Input shape: [(None, 128), (None, 32), (None, 12)]" in text
    assert result.width == round(float(root.get("viewBox").split()[2]) * 1.5)


def test_ticket_model_pdf_holds_the_text(ticket_model, tmp_path):
    pytest.importorskip("matplotlib")
    result = plot_model(ticket_model, tmp_path / "t.pdf", show_shapes=True)
    data = (tmp_path / "t.pdf").read_bytes()
    assert data == result.data and data.startswith(b"%PDF-") and result.format == "pdf"
    assert b"/FontFile2" in data  # the font is embedded as TrueType
    shown = _pdf_text(data)
    for layer in ticket_model.layers:
        assert f"{layer.name} ({type(layer).__name__})" in shown
    assert "Output shape: (None, 172)" in shown
    # The page is the drawing's size: 9/8 point per layout unit, 1.5 CSS px in the SVG.
    svg = plot_model(ticket_model, tmp_path / "t.svg", show_shapes=True)
    assert abs(result.width - svg.width * 0.75) <= 1
    assert abs(result.height - svg.height * 0.75) <= 1


def test_ticket_model_png(ticket_model, tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image  # a dependency of matplotlib

    result = plot_model(ticket_model, tmp_path / "t.png", show_shapes=True, dpi=96)
    data = (tmp_path / "t.png").read_bytes()
    assert data == result.data and result._repr_png_() == data and result.format == "png"
    with Image.open(tmp_path / "t.png") as image:
        assert image.size == (result.width, result.height)
        assert image.mode in ("RGB", "RGBA")
        assert round(image.info["dpi"][0]) == 96
        pixels = np.asarray(image.convert("RGB"))
    assert 300 < result.width < 3000 and 300 < result.height < 3000
    white = (pixels == 255).all(axis=2)
    assert 0.5 < white.mean() < 0.98  # mostly background, with boxes, text and arrows
    edge = np.array([0x2C, 0x3E, 0x50])  # the arrows' colour
    assert (np.abs(pixels.astype(int) - edge).sum(axis=2) < 30).sum() > 200
    # The dpi scales the image and leaves the drawing alone.
    big = plot_model(ticket_model, tmp_path / "big.png", show_shapes=True, dpi=192)
    assert abs(big.width - 2 * result.width) <= 2 and abs(big.height - 2 * result.height) <= 2


def test_no_extension_means_png(model, tmp_path):
    pytest.importorskip("matplotlib")
    result = plot_model(model, tmp_path / "graph")
    assert result.format == "png" and (tmp_path / "graph").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("suffix", ["png", "pdf"])
def test_without_matplotlib_png_and_pdf_name_the_extra(model, tmp_path, monkeypatch, suffix):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes the import fail
    with pytest.raises(ImportError, match=rf"{suffix.upper()}.*kerax\[plot\]"):
        plot_model(model, tmp_path / f"m.{suffix}")
    assert not list(tmp_path.iterdir())
    assert plot_model(model, tmp_path / "m.svg").format == "svg"  # SVG needs nothing
