"""``set_random_seed``: the same script with the same seed trains to the same bits."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np

SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import kerax as keras

    keras.utils.set_random_seed(int(sys.argv[1]))
    inputs = keras.Input((6,))
    h = keras.layers.Dense(16, activation="relu")(inputs)
    h = keras.layers.Dropout(0.3)(h)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(h))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(70, 6)).astype("float32")
    y = rng.integers(0, 3, 70)
    model.fit(x, y, batch_size=16, epochs=3, validation_split=0.2, verbose=0)
    np.savez(sys.argv[2], *model.get_weights())
    """
)


def _run(tmp_path, seed: int, tag: str) -> list[np.ndarray]:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    out = tmp_path / f"{tag}.npz"
    subprocess.run(
        [sys.executable, str(script), str(seed), str(out)],
        check=True,
        env={"JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    with np.load(out) as f:
        return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


def test_same_seed_gives_bit_identical_weights(tmp_path):
    first = _run(tmp_path, 7, "a")
    second = _run(tmp_path, 7, "b")
    other = _run(tmp_path, 8, "c")
    assert len(first) == len(second) == 4
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(first, other, strict=True))
