"""model.export: a jax.export artifact served without the model's code."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import kerax
from kerax.layers import LSTM, Dense, Embedding, Input, concatenate


def _model():
    a = Input(shape=(None,), dtype="int32", name="tokens")
    b = Input(shape=(3,), name="extra")
    h = LSTM(4)(Embedding(20, 5, mask_zero=True)(a))
    merged = concatenate([h, b])
    return kerax.Model([a, b], [Dense(1, name="score")(merged), Dense(2, name="aux")(merged)])


def test_export_round_trip_any_batch_and_length(tmp_path):
    model = _model()
    path = str(tmp_path / "served")
    model.export(path)
    served = kerax.saving.load_exported(path)
    for batch, length in [(2, 6), (5, 3)]:
        rng = np.random.default_rng(batch)
        tokens = rng.integers(0, 20, size=(batch, length)).astype(np.int32)
        extra = rng.normal(size=(batch, 3)).astype(np.float32)
        expected = model.predict([tokens, extra], verbose=0)
        got = served({"tokens": tokens, "extra": extra})
        np.testing.assert_allclose(np.asarray(got["score"]), expected[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(got["aux"]), expected[1], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"takes 2 input\(s\)"):
        served(tokens)


def test_loader_needs_no_kerax(tmp_path):
    x = Input(shape=(3,))
    model = kerax.Model(x, Dense(2, activation="tanh")(x))
    path = str(tmp_path / "tiny")
    model.export(path)
    data = np.ones((4, 3), np.float32)
    expected = model.predict(data, verbose=0)
    script = f"""
import sys, json, numpy as np
sys.modules['kerax'] = None  # serving must not import kerax
from jax import export
exp = export.deserialize(bytearray(open({path!r} + '/apply.jaxexport', 'rb').read()))
v = np.load({path!r} + '/variables.npz'); flat = [v[f'v{{i}}'] for i in range(len(v.files))]
print(json.dumps(np.asarray(exp.call(flat, np.ones((4, 3), np.float32))[0]).tolist()))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    import json

    np.testing.assert_allclose(np.array(json.loads(out.stdout)), expected, rtol=1e-5)
