"""How host-side preprocessing layers are called.

Eagerly (``layer(["the cat"])``) the layer runs ``host_transform`` on NumPy and returns
a JAX array, as Keras on its JAX backend does (``invert`` outputs, being strings, stay
NumPy). On symbolic tensors the call is handed to the graph code, which takes the
output spec from ``compute_output_shape`` and ``output_dtype()`` (``apply`` cannot be
traced on strings) and requires a model ``Input`` as the argument. Inside a compiled
model the string step has already happened where the data entered the device
(``kerax.training.data.flatten_x``, from the graph's host prefix in
``kerax/graph/host.py``), so ``apply`` receives ``host_transform``'s output and passes
it through.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


class HostCallMixin:
    """``__call__`` / ``apply`` for layers whose work is ``host_transform``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from kerax.graph import symbolic

        if symbolic.any_symbolic((args, kwargs)):
            return super().__call__(*args, **kwargs)  # type: ignore[misc]
        kwargs.pop("training", None)
        if len(args) != 1 or kwargs:
            raise TypeError(
                f"{type(self).__name__} '{self.name}' takes one input; received "  # type: ignore[attr-defined]
                f"{len(args)} positional and {sorted(kwargs)} keyword argument(s)."
            )
        data = args[0]
        if isinstance(data, jax.Array):
            data = np.asarray(data)
        out = self.host_transform(data)  # type: ignore[attr-defined]
        return out if out.dtype.kind in "OUSa" else jnp.asarray(out)

    def apply(self, ctx: Any, inputs: Any, **kwargs: Any) -> Any:
        """Inside a compiled model: the input is already ``host_transform``'s output."""
        expected = self.output_dtype()  # type: ignore[attr-defined]
        kind = np.dtype(inputs.dtype).kind
        if (expected == "int64" and kind not in "iu") or (expected != "int64" and kind != "f"):
            raise TypeError(
                f"{type(self).__name__} '{self.name}' maps strings on the host and cannot "  # type: ignore[attr-defined]
                f"run inside a compiled model on {inputs.dtype} data: feed the model raw "
                "strings (the layer's `host_transform` runs where data enters the device), "
                "or call the layer on host data before the model."
            )
        return inputs
