"""SpectralNormalization: a wrapper that divides a layer's kernel by its largest
singular value, estimated by power iteration."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax import initializers as _initializers
from kerax.layers._base import Layer


def _unit(x: jax.Array) -> jax.Array:
    """``x`` over its L2 norm (all entries), with Keras's floor of 1e-7 on the norm."""
    return x * jnp.minimum(jax.lax.rsqrt(jnp.sum(jnp.square(x))), 1e7)


class SpectralNormalization(Layer):
    """Constrains the spectral norm of a wrapped layer's kernel (Miyato et al., 2018).

    In training, each call runs ``power_iterations`` steps of power iteration on the
    kernel reshaped to ``(-1, units)``, starting from the non-trainable ``vector_u``,
    estimates the largest singular value ``sigma = v W u^T``, and runs the wrapped layer
    with ``kernel / sigma``; ``vector_u`` keeps the new estimate for the next call.
    ``u`` and ``v`` do not carry gradients; ``sigma`` does through ``W``.

    As in Keras, the normalized kernel is written back to the wrapped layer's
    ``kernel`` by a direct training call (``layer(x, training=True)``), while inside
    ``fit`` it serves that step only and the optimizer updates the stored kernel.
    Outside training the wrapped layer runs with its kernel as stored. An all-zero
    kernel is left as it is.

    Args:
        layer: A layer with a ``kernel`` (``Dense``, ``Conv2D``, ...) or an
            ``embeddings`` weight.
        power_iterations: Number of power-iteration steps per training call
            (default 1); a positive integer.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: The wrapped layer's input.
        training: Whether to normalize and update ``vector_u``.

    Input shape:
        The wrapped layer's input shape.

    Output shape:
        The wrapped layer's output shape, in the dtype of the input.

    Weights:
        The wrapped layer's weights, then ``vector_u`` ``(1, units)`` (non-trainable,
        truncated normal with standard deviation 0.02).
    """

    def __init__(self, layer: Layer, power_iterations: int = 1, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"SpectralNormalization needs a kerax layer to wrap, received layer={layer!r}."
            )
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int):
            raise ValueError(
                "SpectralNormalization: `power_iterations` must be a positive integer, "
                f"received power_iterations={power_iterations!r}."
            )
        if power_iterations <= 0:
            raise ValueError(
                "SpectralNormalization: `power_iterations` must be greater than zero, "
                f"received power_iterations={power_iterations}."
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.power_iterations = power_iterations

    def _kernel_name(self) -> str:
        names = {spec.name for spec in self.layer._weight_specs}
        for name in ("kernel", "embeddings"):
            if name in names:
                return name
        raise ValueError(
            f"Layer '{self.name}' (SpectralNormalization): the wrapped "
            f"{type(self.layer).__name__} has neither a 'kernel' nor an 'embeddings' weight."
        )

    def build(self, input_shape: Any) -> None:
        if not self.layer.built:
            self.layer._build_guarded(input_shape)
        name = self._kernel_name()
        spec = next(s for s in self.layer._weight_specs if s.name == name)
        self.vector_u = self.add_weight(
            shape=(1, spec.shape[-1]),
            initializer=_initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
            dtype=spec.dtype,
        )

    def _kernel_handle(self) -> list[Any]:
        return [self.layer._handles[self._kernel_name()]] if self.built else []

    @property
    def weights(self) -> list[Any]:
        """Keras's order: the wrapped kernel (Keras's wrapper holds it as an attribute of
        its own), ``vector_u``, then the wrapped layer's other weights."""
        out: list[Any] = []
        for w in self._kernel_handle() + super().weights:
            if all(w is not seen for seen in out):
                out.append(w)
        return out

    def _h5_groups(self) -> list[tuple[str, list[Any]]]:
        """Weights-file entries as Keras writes them: the kernel and ``vector_u``."""
        return [("vars", self._kernel_handle() + self._own_weights())]

    def _normalized(self, kernel: jax.Array, u: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The new ``vector_u`` and ``kernel / sigma``."""
        w = kernel.reshape(-1, kernel.shape[-1])
        v = u
        for _ in range(self.power_iterations):
            v = _unit(u @ w.T)
            u = _unit(v @ w)
        u, v = jax.lax.stop_gradient(u), jax.lax.stop_gradient(v)
        sigma = (v @ w) @ u.T
        return u, (w / sigma).reshape(kernel.shape)

    def apply(self, ctx: Any, inputs: Any) -> Any:
        if ctx.training:
            name = self._kernel_name()
            inner_key = ctx.frame.keys[id(self.layer)]
            kernel = ctx.frame.param_overrides.get(inner_key, {}).get(name)
            if kernel is None:
                kernel = ctx.frame.params[inner_key][name]
            u = ctx.state["vector_u"]
            new_u, new_kernel = self._normalized(kernel, u)
            is_zero = jnp.all(kernel == 0)
            new_u = jnp.where(is_zero, u, new_u.astype(u.dtype))
            new_kernel = jnp.where(is_zero, kernel, new_kernel.astype(kernel.dtype))
            ctx.set_state("vector_u", new_u)
            # A trainable weight assigned during the run: the wrapped layer reads it
            # now; a direct call stores it, fit's step drops it (Keras's rules).
            ctx.frame.param_overrides.setdefault(inner_key, {})[name] = new_kernel
        out = ctx.call(self.layer, inputs)
        dtype = getattr(inputs, "dtype", None)
        return out.astype(dtype) if dtype is not None else out

    def get_config(self) -> dict[str, Any]:
        from kerax.saving.serialization import serialize_layer

        return {
            **super().get_config(),
            "layer": serialize_layer(self.layer),
            "power_iterations": self.power_iterations,
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> SpectralNormalization:
        """Re-creates the wrapper and a fresh wrapped layer from ``get_config()``."""
        from kerax.saving.serialization import deserialize_layer

        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        return cls(layer, **config)
