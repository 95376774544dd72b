"""No silent divergence: for every public layer class (the weight-order table's cases),
a subclass that overrides ``call`` gets its ``call`` run, and ``super().call`` inside it
runs the built-in computation; overriding ``compute_output_shape`` decides the
symbolic shape. A new layer class gets these checks through its table entry."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import kerax
from tests.layers.test_weight_order import CASES, _data, _leaves


def _offset_class(cls: type) -> type:
    def call(self, *args, **kwargs):
        out = super(sub, self).call(*args, **kwargs)
        return jax.tree_util.tree_map(lambda o: o + 1, out)

    sub = type(f"Offset{cls.__name__}", (cls,), {"call": call, "__module__": __name__})
    return sub


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_overriding_call_is_honoured(case):
    xs = _data(case.shapes, case.dtype)
    layer = case.build(kerax)
    before = _leaves(case.call(layer, xs))
    layer.__class__ = _offset_class(type(layer))
    after = _leaves(case.call(layer, xs))
    assert len(after) == len(before)
    for got, base in zip(after, before, strict=True):
        np.testing.assert_allclose(got, base + 1, rtol=1e-5, atol=1e-5)


def test_overriding_compute_output_shape_decides_the_symbolic_shape():
    class Declared(kerax.layers.Dense):
        def compute_output_shape(self, input_shape):
            return (input_shape[0], 7)

        def call(self, inputs):
            return kerax.ops.pad(super().call(inputs), [(0, 0), (0, 3)])

    out = Declared(4)(kerax.Input((3,)))
    assert out.shape == (None, 7)
