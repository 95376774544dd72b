"""Keras's overridable training hooks: each one kerax does not run is refused, loudly.

Keras 3 lets a ``Model`` subclass replace parts of its trainer (``train_step``,
``compute_loss``, an overridden ``metrics`` property, ...). kerax compiles its own pure
step; running it while a user's override sits unused would train a different algorithm
without a word, the worst kind of failure. So every entry point checks, before
anything is traced, that the model's class overrides none of the hooks that entry
point would need and that kerax does not yet honour, and raises an error naming the
hook and what to do instead.

:data:`UNHONOURED` is the one table: hook name -> the entry points that would use it.
A test enumerates Keras's overridable ``Model`` methods and checks that each is either
honoured or listed here.
"""

from __future__ import annotations

from typing import Any

from kerax.layers._overrides import user_defines

_TRAIN = ("fit", "train_on_batch")
_TEST = ("evaluate", "test_on_batch")
_PREDICT = ("predict", "predict_on_batch")

#: Keras hooks kerax does not run yet, and the entry points that would run them.
UNHONOURED: dict[str, tuple[str, ...]] = {
    "make_train_function": _TRAIN,
    "make_test_function": _TEST + ("fit",),
    "make_predict_function": _PREDICT,
}

#: Hooks kerax runs, through :mod:`kerax.training.keras_loop` (Keras's default steps
#: call one another as Keras's do: :mod:`kerax.models.keras_steps`).
HONOURED = (
    "train_step",
    "test_step",
    "predict_step",
    "compute_loss_and_updates",
    "stateless_compute_loss",
    "compute_loss",
    "compute_metrics",
    "metrics",
)


def check(model: Any, entry: str) -> None:
    """Raises if ``model``'s class overrides a hook that ``entry`` would ignore.

    Raises:
        NotImplementedError: Naming the hook, the entry point and what to do.
    """
    for hook, entries in UNHONOURED.items():
        if entry in entries and user_defines(type(model), hook):
            raise NotImplementedError(
                f"{type(model).__name__} overrides `{hook}`, which kerax does not run yet: "
                f"`{entry}()` would use kerax's compiled step instead and silently ignore "
                f"your `{hook}`. Remove the override to use the built-in step, or write "
                "the loop yourself with `model.stateless_call(...)` and "
                "`model.optimizer.stateless_apply(...)` inside your own `jax.jit` "
                "(see the README's 'The pure functions are yours')."
            )
