"""Users' subclasses of kerax's layers: every Keras hook they override is honoured.

Built-in layers compute in the pure ``apply(ctx, ...)``; Keras code overrides ``call``
(and a few documented hooks). Without care, a ``class StdConv(layers.Conv2D)`` that
overrides ``call`` would inherit ``Conv2D.apply`` and silently run the built-in
computation. So, when a class is created (:func:`prepare_subclass`):

* a user class that defines ``call`` below a built-in ``apply`` gets the compat
  ``apply`` of :class:`~kerax.layers.Layer` back, which runs its ``call``; inside it,
  ``super().call(inputs)`` runs the built-in computation (:func:`builtin_call`) with
  the same context, so weights assigned earlier in the ``call`` are seen;
* a ``build`` marks the layer built when it returns, so a parent that builds a
  sublayer explicitly in its own ``build`` (``self.sub.build(shape)``) can read
  ``self.sub.kernel`` there, and the sublayer is not built a second time;
* a user ``compute_output_shape`` decides the symbolic output shapes, as in Keras
  (``symbolic.call_symbolic`` reads :func:`user_defines`);
* a hook that kerax cannot honour raises at class creation, naming it.

"User class" means a class defined outside the ``kerax`` package.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from kerax.graph import frame as _frame

#: Hooks kerax never consults, with what to do instead.
_REJECTED = {
    "compute_output_spec": (
        "kerax infers output specs by tracing `call`; override `compute_output_shape` "
        "instead (its result is used for symbolic calls)"
    ),
    "quantized_call": "kerax has no quantized execution path; override `call` instead",
}


#: Properties built-in layers offer to users (the LoRA-merged weight) but do not read
#: in their own computation: a subclass overriding one would be silently ignored.
_READ_ONLY_VIEWS = ("kernel", "embeddings")


def is_user_class(cls: type) -> bool:
    """Whether ``cls`` was defined outside kerax."""
    module = getattr(cls, "__module__", "") or ""
    return not (module == "kerax" or module.startswith("kerax."))


def user_defines(cls: type, name: str) -> bool:
    """Whether a user class in ``cls``'s MRO defines ``name`` (an override of kerax's)."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return is_user_class(klass)
    return False


def prepare_subclass(cls: type) -> None:
    """Adjusts a new Layer subclass so that its overrides are used (module docstring)."""
    if "build" in cls.__dict__ and not getattr(cls.__dict__["build"], "_kerax_marks", False):
        cls.build = _marking_build(cls.__dict__["build"])
    cls._builtin_apply = _nearest_builtin_apply(cls)
    if not is_user_class(cls):
        return
    for name, advice in _REJECTED.items():
        if name in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides `{name}`, which kerax does not use: {advice}."
            )
    for name in _READ_ONLY_VIEWS:
        owner = next((k for k in cls.__mro__[1:] if name in k.__dict__), None)
        if name in cls.__dict__ and owner is not None and not is_user_class(owner):
            raise TypeError(
                f"{cls.__name__} overrides `{name}`, which {owner.__name__}'s computation "
                "does not read (it reads the weights themselves): override `call` and "
                f"use your `{name}` there instead."
            )
    call_owner = _owner(cls, "call")
    apply_owner = _owner(cls, "apply")
    if (
        call_owner is not None
        and is_user_class(call_owner)
        and apply_owner is not None
        and not is_user_class(apply_owner)
        and cls.__mro__.index(call_owner) < cls.__mro__.index(apply_owner)
    ):
        # The user's ``call`` is more specific than the built-in ``apply``: run it.
        cls.apply = _layer_class().apply


def _owner(cls: type, name: str) -> type | None:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass
    return None


def _layer_class() -> type:
    from kerax.layers._base import Layer

    return Layer


def _nearest_builtin_apply(cls: type) -> Any:
    """The ``apply`` of the nearest kerax class below ``Layer`` (None for plain layers)."""
    layer = _layer_class()
    for klass in cls.__mro__:
        if klass is layer:
            return None
        if "apply" in klass.__dict__ and not is_user_class(klass):
            return klass.__dict__["apply"]
    return None


def _marking_build(build: Any) -> Any:
    @functools.wraps(build)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = build(self, *args, **kwargs)
        self.built = True
        return out

    wrapper._kerax_marks = True
    return wrapper


@functools.cache
def _parameters(fn: Any) -> frozenset[str]:
    params = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return frozenset(["**"])
    return frozenset(params)


def builtin_call(layer: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
    """``Layer.call`` of a built-in layer: its ``apply`` in the running context."""
    builtin = type(layer)._builtin_apply
    if builtin is None:
        raise NotImplementedError(
            f"Layer {type(layer).__name__} implements neither `call` nor `apply`."
        )
    ctx = _frame.ACTIVE.get()
    if ctx is None or ctx.layer is not layer:
        # Called from outside this layer's own run: a plain call of the layer.
        return layer(inputs, *args, **kwargs)
    accepted = _parameters(builtin)
    training = kwargs.pop("training", None)
    if "mask" in kwargs and kwargs["mask"] is None:
        kwargs.pop("mask")
    unknown = [k for k in kwargs if k not in accepted and "**" not in accepted]
    if unknown:
        raise TypeError(
            f"{type(layer).__name__}.call() (the built-in computation) got unexpected "
            f"argument(s) {unknown}."
        )
    if training is None or "training" in accepted:
        if training is not None:
            kwargs["training"] = training
        return builtin(layer, ctx, inputs, *args, **kwargs)
    saved = ctx.training
    ctx.training = bool(training)
    try:
        return builtin(layer, ctx, inputs, *args, **kwargs)
    finally:
        ctx.training = saved
