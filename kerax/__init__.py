"""kerax: Keras's functional API, compiled to pure, jitted JAX functions.

Switch the import and Keras code runs unchanged::

    import kerax as keras
    from kerax.layers import Input, Dense
    from kerax.models import Model
"""

from kerax import config as _config

_config.enable_compile_cache()

from kerax import (  # noqa: E402
    activations,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    dtype_policies,
    export,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    preprocessing,
    regularizers,
    saving,
    tree,
    utils,
)
from kerax.dtype_policies import FloatDTypePolicy  # noqa: E402
from kerax.graph.symbolic import KerasTensor  # noqa: E402
from kerax.initializers import Initializer  # noqa: E402
from kerax.layers import Input, InputLayer, InputSpec, Layer  # noqa: E402
from kerax.losses import Loss  # noqa: E402
from kerax.metrics import Metric  # noqa: E402
from kerax.mixed_precision import DTypePolicy  # noqa: E402
from kerax.models import Model, Sequential  # noqa: E402
from kerax.optimizers import Optimizer  # noqa: E402
from kerax.random import set_random_seed  # noqa: E402
from kerax.regularizers import Regularizer  # noqa: E402
from kerax.variables import Variable  # noqa: E402

__version__ = "0.1.0"
# The Keras release whose public API and behaviour kerax follows (the tests compare
# with it, and docs/keras-differences.md lists where kerax departs from it).
__keras_version__ = "3.15.1"


def version() -> str:
    """kerax's version (Keras's ``keras.version()``)."""
    return __version__


__all__ = [
    "DTypePolicy",
    "FloatDTypePolicy",
    "Initializer",
    "Input",
    "InputLayer",
    "InputSpec",
    "KerasTensor",
    "Layer",
    "Loss",
    "Metric",
    "Model",
    "Optimizer",
    "Regularizer",
    "Sequential",
    "Variable",
    "activations",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "dtype_policies",
    "export",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "regularizers",
    "saving",
    "set_random_seed",
    "tree",
    "utils",
    "version",
]
