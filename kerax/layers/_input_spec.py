"""``InputSpec``: the rank and size constraints a layer puts on its inputs."""

from __future__ import annotations

from kerax.graph.spec import TensorSpec


class InputSpec:
    """Constraints a layer puts on the rank and sizes of its input.

    Args:
        ndim: Exact rank expected.
        min_ndim: Minimum rank expected.
        max_ndim: Maximum rank expected.
        axes: ``{axis: size}`` sizes expected on given axes.
    """

    def __init__(
        self,
        ndim: int | None = None,
        min_ndim: int | None = None,
        max_ndim: int | None = None,
        axes: dict[int, int] | None = None,
    ) -> None:
        self.ndim, self.min_ndim, self.max_ndim = ndim, min_ndim, max_ndim
        self.axes = dict(axes or {})

    def check(self, layer_name: str, index: int, spec: TensorSpec) -> None:
        """Raises ValueError if ``spec`` violates this constraint."""
        problem = None
        if self.ndim is not None and spec.ndim != self.ndim:
            problem = f"expected ndim={self.ndim}, found ndim={spec.ndim}"
        elif self.min_ndim is not None and spec.ndim < self.min_ndim:
            problem = f"expected min_ndim={self.min_ndim}, found ndim={spec.ndim}"
        elif self.max_ndim is not None and spec.ndim > self.max_ndim:
            problem = f"expected max_ndim={self.max_ndim}, found ndim={spec.ndim}"
        else:
            for axis, size in self.axes.items():
                got = spec.shape[axis] if -spec.ndim <= axis < spec.ndim else None
                if got is not None and got != size:
                    problem = f"expected axis {axis} of input shape to have value {size}"
        if problem:
            raise ValueError(
                f'Input {index} of layer "{layer_name}" is incompatible with the layer: '
                f"{problem}. Full shape received: {spec.shape}"
            )
