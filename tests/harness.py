"""The shared layer-test harness: every layer's tests run ``check_layer``.

``check_layer(cls, kwargs, input_shape)`` checks, for one configuration of a layer:

1. construction and a symbolic call on ``Input(shape=input_shape[1:])``;
2. the symbolic output shape equals ``compute_output_shape`` and the shape of the
   output of a real (eager) call on random data;
3. the config round trip: ``cls.from_config(layer.get_config())`` has the same config
   and, given the same weights, the same outputs;
4. the model's ``predict`` (jitted) equals the eager call;
5. the weights survive a ``.weights.h5`` round trip into a model of the cloned layer;
6. one training step through ``compile`` + ``train_on_batch`` runs, gives a finite loss,
   finite gradients, and changes the trainable weights (when there are any).

It returns the model it built, so a test can go on with layer-specific checks.

``weight_signature`` and ``copy_keras_weights`` compare a layer or model with its Keras
twin (``tests/layers/test_weight_order.py`` runs them over every layer class).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import kerax


def _random_inputs(
    shapes: Sequence[tuple[int, ...]], dtypes: Sequence[str], seed: int
) -> list[Any]:
    rng = np.random.default_rng(seed)
    out = []
    for shape, dtype in zip(shapes, dtypes):
        if np.issubdtype(np.dtype(dtype), np.integer):
            out.append(rng.integers(0, 5, size=shape).astype(dtype))
        else:
            out.append(rng.normal(size=shape).astype(dtype))
    return out


def check_layer(
    cls: type,
    kwargs: dict[str, Any] | None = None,
    input_shape: tuple[int, ...] | Sequence[tuple[int, ...]] = (2, 3),
    input_dtype: str | Sequence[str] = "float32",
    *,
    expected_output_shape: Any = None,
    call_kwargs: dict[str, Any] | None = None,
    train: bool = True,
    seed: int = 0,
) -> kerax.Model:
    """Runs the generic checks on ``cls(**kwargs)``; see the module docstring.

    Args:
        cls: The layer class.
        kwargs: Constructor arguments.
        input_shape: Full input shape (batch included), or a list of shapes for layers
            called on a list of tensors.
        input_dtype: Dtype(s) of the inputs.
        expected_output_shape: If given, the symbolic output shape (batch ``None``).
        call_kwargs: Extra non-tensor keyword arguments of the call.
        train: Whether to run the training-step check.
        seed: Seed of the random inputs.

    Returns:
        The ``kerax.Model`` wrapping the layer.
    """
    kwargs = dict(kwargs or {})
    call_kwargs = dict(call_kwargs or {})
    multi = isinstance(input_shape, list)
    shapes = list(input_shape) if multi else [tuple(input_shape)]
    dtypes = (
        list(input_dtype) if isinstance(input_dtype, list | tuple) else [input_dtype] * len(shapes)
    )

    # 1. construction and a symbolic call
    layer = cls(**kwargs)
    inputs = [kerax.Input(shape=s[1:], dtype=d) for s, d in zip(shapes, dtypes)]
    out = layer(inputs if multi else inputs[0], **call_kwargs)
    model = kerax.Model(inputs if multi else inputs[0], out)
    out_shapes = jax.tree_util.tree_map(
        lambda t: t.shape, out, is_leaf=lambda t: hasattr(t, "spec")
    )
    if expected_output_shape is not None:
        assert out_shapes == expected_output_shape, (out_shapes, expected_output_shape)

    # 2. compute_output_shape and the eager call agree with the symbolic shape
    symbolic_shapes = [(None, *s[1:]) for s in shapes]
    computed = layer.compute_output_shape(symbolic_shapes if multi else symbolic_shapes[0])
    assert _as_tuples(computed) == _as_tuples(out_shapes), (computed, out_shapes)
    data = _random_inputs(shapes, dtypes, seed)
    eager = layer(data if multi else data[0], **call_kwargs)
    batch = shapes[0][0]
    for sym, real in zip(
        jax.tree_util.tree_leaves(out_shapes, is_leaf=_is_shape), jax.tree_util.tree_leaves(eager)
    ):
        assert tuple(real.shape) == tuple(batch if d is None else d for d in sym), (sym, real.shape)

    # 3. config round trip, with the same weights giving the same outputs
    config = layer.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == config
    if layer.weights:
        clone(inputs if multi else inputs[0], **call_kwargs)
        clone.set_weights(layer.get_weights())
        again = clone(data if multi else data[0], **call_kwargs)
        for a, b in zip(jax.tree_util.tree_leaves(eager), jax.tree_util.tree_leaves(again)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-6)

    # 4. the jitted predict equals the eager call
    predicted = model.predict(data if multi else data[0], verbose=0, batch_size=batch)
    for a, b in zip(jax.tree_util.tree_leaves(eager), jax.tree_util.tree_leaves(predicted)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)

    # 5. a .weights.h5 round trip into the clone gives the same outputs
    if layer.weights:
        import os
        import tempfile

        clone_inputs = [kerax.Input(shape=s[1:], dtype=d) for s, d in zip(shapes, dtypes)]
        clone_model = kerax.Model(
            clone_inputs if multi else clone_inputs[0],
            cls.from_config(config)(clone_inputs if multi else clone_inputs[0], **call_kwargs),
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "layer.weights.h5")
            model.save_weights(path)
            clone_model.load_weights(path)
        for a, b in zip(model.get_weights(), clone_model.get_weights()):
            np.testing.assert_array_equal(a, b)

    # 6. one training step: finite loss and gradients, trainable weights move
    if train and any(
        np.issubdtype(np.dtype(o.dtype), np.floating) for o in jax.tree_util.tree_leaves(eager)
    ):
        _check_training(model, data if multi else data[0], eager)
    return model


def _check_training(model: kerax.Model, data: Any, eager: Any) -> None:
    variables = model.get_variables()
    lowered = model.lowered

    def loss(params: Any) -> jax.Array:
        out, _ = lowered.apply(
            {"params": params, "state": variables["state"]},
            data,
            training=True,
            rng=jax.random.key(0),
        )
        return sum(
            jnp.sum(jnp.square(o.astype(jnp.float32)))
            for o in jax.tree_util.tree_leaves(out)
            if jnp.issubdtype(o.dtype, jnp.floating)
        )

    grads = jax.jit(jax.grad(loss))(variables["params"])
    for g in jax.tree_util.tree_leaves(grads):
        assert np.all(np.isfinite(np.asarray(g))), "non-finite gradient"
    targets = jax.tree_util.tree_map(
        lambda o: np.zeros(o.shape, np.float32), jax.tree_util.tree_leaves(eager)
    )
    model.compile(optimizer="sgd", loss="mse")
    before = [w.numpy().copy() for w in model.trainable_weights]
    value = model.train_on_batch(data, targets if len(targets) > 1 else targets[0])
    value = value[0] if isinstance(value, list) else value
    assert np.isfinite(value), f"non-finite loss {value}"
    after = [w.numpy() for w in model.trainable_weights]
    if before and any(np.any(np.asarray(g) != 0) for g in jax.tree_util.tree_leaves(grads)):
        assert any(not np.array_equal(a, b) for a, b in zip(before, after)), "no weight moved"


def _is_shape(x: Any) -> bool:
    return isinstance(x, tuple) and all(d is None or isinstance(d, int) for d in x)


def _as_tuples(tree: Any) -> Any:
    if _is_shape(tree):
        return tuple(tree)
    if isinstance(tree, dict):
        return {k: _as_tuples(v) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return [_as_tuples(t) for t in tree]
    return tree


def weight_signature(layer: Any) -> list[tuple[str, tuple[int, ...], str, bool]]:
    """``(name, shape, dtype, trainable)`` of each of ``layer.weights``, in order; the
    same for a kerax layer and a Keras 3 one, so the two can be compared."""
    return [(w.name, tuple(w.shape), str(w.dtype), bool(w.trainable)) for w in layer.weights]


def copy_keras_weights(reference: Any, layer: Any, seed: int = 123) -> None:
    """Gives the Keras ``reference`` random weights and copies them into the kerax
    ``layer`` with ``layer.set_weights(reference.get_weights())``.

    The values are drawn with NumPy (Keras's initializers compile once per shape, slow
    on CPU); weights named ``*variance`` are kept positive.
    """
    rng = np.random.default_rng(seed)
    weights = []
    for w in reference.weights:
        value = rng.normal(scale=0.5, size=tuple(w.shape))
        if "variance" in w.name:
            value = np.abs(value) + 0.5
        weights.append(value.astype(str(w.dtype)))
    reference.set_weights(weights)
    layer.set_weights(reference.get_weights())
