"""Callbacks that write checkpoints: the best or latest weights, and backups to resume from."""

from __future__ import annotations

from typing import Any

from kerax.callbacks._base import Callback
from kerax.callbacks._monitors import _Monitor
from kerax.training.progbar import print_msg


class ModelCheckpoint(_Monitor):
    """Saves the weights (or the model) at the end of epochs.

    Files are written to a temporary name and renamed into place, so a crash never
    leaves a partial file, and the previous checkpoint stays intact until the new one is
    complete. A path ending in ``.ckpt`` writes kerax's native checkpoint of the whole
    train state instead (``model.restore_checkpoint`` reads it back exactly).

    Args:
        filepath: Path ending in ``.keras``, ``.weights.h5`` (with
            ``save_weights_only``) or ``.ckpt``; may contain ``{epoch}`` and log keys
            (``{val_loss:.2f}``).
        monitor: The quantity deciding the best model (``save_best_only``).
        verbose: 1 to print each save.
        save_best_only: Only save when ``monitor`` improves.
        save_weights_only: Save weights only (``.weights.h5``).
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        save_freq: ``"epoch"`` (only epochs are supported).
        initial_value_threshold: The value to beat before the first save.
    """

    def __init__(
        self,
        filepath: str,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: Any = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, 0.0)
        if save_freq != "epoch":
            raise ValueError(
                f"Only save_freq='epoch' is supported; received save_freq={save_freq!r}."
            )
        filepath = str(filepath)
        if save_weights_only and not filepath.endswith(".weights.h5"):
            raise ValueError(
                "With save_weights_only=True the filepath must end in `.weights.h5`; "
                f"received filepath={filepath!r}."
            )
        if not save_weights_only and not filepath.endswith((".keras", ".ckpt")):
            raise ValueError(
                f"The filepath must end in `.keras` or `.ckpt` (or use save_weights_only=True "
                f"with `.weights.h5`); received filepath={filepath!r}."
            )
        self.filepath, self.verbose = filepath, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.best: float | None = initial_value_threshold

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = self._value(logs)
            if current is None or not self._is_improvement(current, self.best):
                return
            if self.verbose:
                print_msg(
                    f"Epoch {epoch + 1}: {self.monitor} improved from {self.best} to {current}, saving model to {path}"
                )
            self.best = current
        elif self.verbose:
            print_msg(f"Epoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        elif path.endswith(".ckpt"):
            self.model.save_checkpoint(path, epoch=epoch)
        else:
            self.model.save(path)


class BackupAndRestore(Callback):
    """Backs up the whole train state every epoch, and resumes an interrupted ``fit``.

    At the start of ``fit``, a backup in ``backup_dir`` is restored exactly (weights,
    optimizer state, step, RNG key, the data order) and training continues from the
    epoch after the one it was taken at; the result is bit for bit the same as an
    uninterrupted run. The backup is written atomically, so a crash mid-write keeps the
    previous one. It is deleted when ``fit`` completes, unless ``delete_checkpoint`` is
    False.

    The backup is matched to the model by structure, not by layer names: the layers
    that own weights in Keras's layer order, and each one's weights in order. So a
    model rebuilt by the same code (re-running a notebook cell, where every layer gets
    a new automatic name) resumes the backup; a model whose architecture differs gets
    a ``ValueError`` that names the first difference.

    Args:
        backup_dir: Directory of the backup.
        save_freq: ``"epoch"`` (only epochs are supported).
        double_checkpoint: Accepted for Keras compatibility. Keras keeps a second copy
            so that a crash while writing leaves one intact; kerax's backups are
            written to a temporary name and renamed into place, so the previous one
            always survives.
        delete_checkpoint: Delete the backup when training completes.
    """

    def __init__(
        self,
        backup_dir: str,
        save_freq: Any = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if save_freq != "epoch":
            raise ValueError(
                f"Only save_freq='epoch' is supported; received save_freq={save_freq!r}."
            )
        self.backup_dir, self.delete_checkpoint = str(backup_dir), delete_checkpoint
        self.double_checkpoint = double_checkpoint
        self._completed = False

    def on_train_begin(self, logs=None):
        import os

        from kerax.saving.checkpoint import read_metadata

        self._completed = False
        if not os.path.exists(os.path.join(self.backup_dir, "meta.json")):
            return
        metadata = read_metadata(self.backup_dir)
        if "structure" in metadata:
            self._restore(metadata)
        else:  # a backup keyed by layer names (written by an earlier kerax)
            metadata = self.model.restore_checkpoint(self.backup_dir)
        self.model._resume_epoch = int(metadata["epoch"]) + 1

    def on_epoch_end(self, epoch, logs=None):
        from kerax.saving.checkpoint import save_checkpoint

        model = self.model
        ts = model._ts
        metadata = {"epoch": epoch, "order_seed": model._order_seed, "structure": _structure(model)}
        save_checkpoint(self.backup_dir, _renamed(ts, *_positions(model, ts)), metadata)
        self._completed = epoch + 1 >= self.params.get("epochs", epoch + 1)

    def on_train_end(self, logs=None):
        import shutil

        if self.delete_checkpoint and self._completed:
            shutil.rmtree(self.backup_dir, ignore_errors=True)

    def _restore(self, metadata: dict[str, Any]) -> None:
        from kerax.saving.checkpoint import restore_checkpoint
        from kerax.training import live

        model = self.model
        problem = _difference(model, metadata["structure"])
        if problem is not None:
            raise ValueError(
                f"BackupAndRestore: the backup in {self.backup_dir!r} was written by a model "
                f"of a different architecture, so this one cannot resume it: {problem}. "
                "Delete that directory to train from scratch, or pass another `backup_dir`."
            )
        ts = model._ts
        keys, metrics = _positions(model, ts)
        restored = restore_checkpoint(self.backup_dir, _renamed(ts, keys, metrics))
        back = _renamed(restored, _inverse(keys), _inverse(metrics))
        live.replace(model, back)
        model._order_seed = metadata.get("order_seed", model._order_seed)


# A backup names each layer by its position among the weight-owning layers (the
# variable layout's order: Keras's layer order, nested models' layers after them) and
# each metric state by its position in ``metrics_names``, so that it does not depend on
# automatic names.


def _structure(model: Any) -> list[list[Any]]:
    """``[class name, [[weight, shape, dtype], ...]]`` per weight-owning layer."""
    return [
        [
            type(layer).__name__,
            [[s.name, [int(d) for d in s.shape], str(s.dtype)] for s in layer._weight_specs],
        ]
        for layer in model.lowered.layout.layers
    ]


def _difference(model: Any, stored: list[list[Any]]) -> str | None:
    """The first difference between the model's structure and a backup's, or None."""
    mine = _structure(model)
    if len(mine) != len(stored):
        return f"it has {len(stored)} layers with weights, this model has {len(mine)}"
    layers = model.lowered.layout.layers
    for i, (here, there) in enumerate(zip(mine, stored)):
        if here != there:
            return (
                f"layer {i} with weights is a {there[0]} with weights {_weights(there[1])} "
                f"there, but '{layers[i].name}' ({here[0]}) with {_weights(here[1])} here"
            )
    return None


def _weights(specs: list[list[Any]]) -> str:
    return ", ".join(f"{name} {tuple(shape)} {dtype}" for name, shape, dtype in specs) or "none"


def _positions(model: Any, ts: Any) -> tuple[dict[str, str], dict[str, str]]:
    """``(layer keys -> positional names, metric names -> positional names)``."""
    layout = model.lowered.layout
    keys = {layout.key(layer): f"layer_{i:04d}" for i, layer in enumerate(layout.layers)}
    order = list(dict.fromkeys([*model.metrics_names, *sorted(ts.metrics)]))
    metrics = {name: f"metric_{order.index(name):04d}" for name in ts.metrics}
    return keys, metrics


def _inverse(names: dict[str, str]) -> dict[str, str]:
    return {v: k for k, v in names.items()}


def _renamed(ts: Any, keys: dict[str, str], metrics: dict[str, str]) -> Any:
    """``ts`` with its layer keys and metric names renamed (values untouched)."""
    return ts._replace(
        params=_rename(ts.params, keys),
        state=_rename(ts.state, keys),
        opt_state=_rename(ts.opt_state, keys),
        metrics={metrics[k]: v for k, v in ts.metrics.items()},
    )


def _rename(tree: Any, keys: dict[str, str]) -> Any:
    """Renames the keys of every dict keyed by layer (the per-layer level of params,
    layer state and the optimizer state's moments), wherever it sits in ``tree``."""
    import jax

    if isinstance(tree, dict):
        if tree and all(k in keys for k in tree):
            return {keys[k]: v for k, v in tree.items()}
        return {k: _rename(v, keys) for k, v in tree.items()}
    children, treedef = jax.tree_util.tree_flatten(tree, is_leaf=lambda x: x is not tree)
    if jax.tree_util.treedef_is_leaf(treedef):
        return tree
    return jax.tree_util.tree_unflatten(treedef, [_rename(c, keys) for c in children])
