"""``kerax.utils.plot_model``: SVG structure, PNG encoding, layout direction, errors."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest

import kerax
from kerax.layers import Dense, Input, concatenate
from kerax.models import Model, Sequential
from kerax.utils import _font, _raster, plot_model

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


@pytest.fixture(scope="module")
def model() -> Model:
    return _multi_io_model()


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == _raster.PNG_SIGNATURE
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks.append((kind, body))
        at += 12 + length
    return chunks


def _decode_png(data: bytes) -> np.ndarray:
    chunks = _png_chunks(data)
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, color, interlace) == (8, 2, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    assert len(raw) == height * (1 + 3 * width)
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, 1 + 3 * width)
    assert (rows[:, 0] == 0).all()  # filter type "none" on every scanline
    return rows[:, 1:].reshape(height, width, 3)


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


def test_png_encoding(model, tmp_path):
    result = plot_model(model, to_file=str(tmp_path / "m.png"), show_shapes=True, dpi=96)
    data = (tmp_path / "m.png").read_bytes()
    assert data == result.data and result._repr_png_() == data
    pixels = _decode_png(data)
    assert pixels.shape[:2] == (result.height, result.width)
    assert 100 < result.width < 4000 and 100 < result.height < 4000
    assert (pixels != 255).any() and (pixels == 255).all(axis=2).mean() > 0.5
    # The dpi doubles the drawing.
    big = plot_model(model, to_file=tmp_path / "big.png", show_shapes=True, dpi=192)
    assert abs(big.width - 2 * result.width) <= 2 and abs(big.height - 2 * result.height) <= 2
    phys = dict(_png_chunks(big.data))[b"pHYs"]
    assert struct.unpack(">IIB", phys) == (7559, 7559, 1)


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
    edges = {e.find(f"{SVG}title").text for e in root.findall(f"{SVG}g[@class='edge']")}
    assert edges == {"x->twice", "twice->between", "between->twice"}
    plot_model(model, tmp_path / "c.png")  # a cycle between boxes still renders


def test_errors(model, tmp_path):
    with pytest.raises(ValueError, match=r"\.pdf"):
        plot_model(model, tmp_path / "m.pdf")
    with pytest.raises(ValueError, match="rankdir"):
        plot_model(model, tmp_path / "m.png", rankdir="diagonal")
    with pytest.raises(ValueError, match="built"):
        plot_model(Sequential([Dense(2)]), tmp_path / "m.png")
    assert not list(tmp_path.iterdir())


def test_no_extension_means_png(model, tmp_path):
    result = plot_model(model, tmp_path / "graph")
    assert result.format == "png" and (tmp_path / "graph").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_exported_under_keras_names():
    assert kerax.utils.plot_model is plot_model


def test_font_covers_printable_ascii():
    glyphs = [_font.glyph(chr(c)) for c in range(32, 127)]
    assert all(g.shape == (_font.GLYPH_H, _font.GLYPH_W) for g in glyphs)
    assert not glyphs[0].any() and all(g.any() for g in glyphs[1:])
    assert len({g.tobytes() for g in glyphs}) == len(glyphs)  # all distinct
    assert (_font.glyph("\u00e9") == _font.glyph("?")).all()
