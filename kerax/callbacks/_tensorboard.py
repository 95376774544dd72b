"""The ``TensorBoard`` callback: Keras's event files, written without TensorFlow."""

from __future__ import annotations

import os
import time
import warnings
from typing import Any

import numpy as np

from kerax.callbacks._base import Callback
from kerax.callbacks._tensorboard_events import Writer, require_tensorboard, weight_image


class TensorBoard(Callback):
    """Writes logs for TensorBoard: Keras's directories, tags and steps.

    Event files go to ``log_dir/train`` and ``log_dir/validation`` and are written with
    the ``tensorboard`` package (``pip install kerax[tensorboard]``); view them with
    ``tensorboard --logdir log_dir``. What is written, as Keras 3 writes it:

    * each epoch, ``epoch_<name>`` for every log (``epoch_loss``, ``epoch_accuracy``,
      ...) at step ``epoch``: the training ones in ``train``, the ``val_`` ones, without
      the prefix, in ``validation``; plus ``epoch_learning_rate`` (the optimizer's rate
      at the epoch's end) and, with ``write_steps_per_second``,
      ``epoch_steps_per_second``;
    * with ``update_freq="batch"`` or an integer ``N``, ``batch_<name>`` for every
      batch log at every N-th global batch (steps count from 1 over the whole ``fit``),
      and ``batch_steps_per_second`` with ``write_steps_per_second``;
    * at the end of each evaluation (validation included),
      ``evaluation_<name>_vs_iterations`` in ``validation`` at step
      ``optimizer.iterations``;
    * with ``histogram_freq=N``, every N epochs, a histogram of each weight tagged
      ``<layer>/<weight>/histogram`` (and an image ``<layer>/<weight>/image`` with
      ``write_images``).

    Speed: with ``update_freq="epoch"`` (the default) this callback has no batch hooks,
    so ``fit`` keeps running whole epochs per compiled call. Batch logging only observes:
    ``fit`` runs chunks of steps and hands over each step's logs after the chunk.
    Per-batch timing (``write_steps_per_second`` with batch logging) and profiling need
    each step to run on its own, so they make ``fit`` run one step per call.

    Args:
        log_dir: The directory of the runs; use it for this callback only.
        histogram_freq: Every how many epochs to write weight histograms; 0: never.
        write_graph: Write the model's architecture (its JSON config, under tag
            ``keras``), which TensorBoard's graph dashboard draws as a conceptual graph.
            This is what Keras writes on its JAX backend; there is no TensorFlow op graph
            to write. A subclassed model that cannot be serialized gives a warning.
        write_images: With ``histogram_freq``, also write each 1-D to 3-D weight as an
            image (values clipped to [0, 1], as ``tf.summary.image`` does).
        write_steps_per_second: Also log training steps per second.
        update_freq: ``"epoch"``, ``"batch"`` (every batch) or an integer ``N`` (every N
            batches): how often to write the training logs.
        profile_batch: Batches to profile with ``jax.profiler`` (traces under
            ``log_dir/train/plugins/profile``, TensorBoard's profile plugin reads them):
            an integer ``N`` (that batch), a pair ``(start, stop)`` or ``"start,stop"``
            (that range, counted from 1 over the whole ``fit``); 0 disables it.
        embeddings_freq: Every how many epochs to save the weights for the embedding
            projector (``log_dir/train/keras_embedding.ckpt-<epoch>.weights.h5``) and,
            once, its ``projector_config.pbtxt``; 0: never.
        embeddings_metadata: A metadata file for every ``Embedding`` layer, or a dict
            ``{layer name: file}``.

    Raises:
        ImportError: If the ``tensorboard`` package is not installed.
        ValueError: For a bad ``update_freq``, frequency or ``profile_batch``.

    Example:

    ```python
    model.fit(x, y, epochs=2, callbacks=[kerax.callbacks.TensorBoard(log_dir="./logs")])
    ```
    """

    def __init__(
        self,
        log_dir: str = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: str | int = "epoch",
        profile_batch: int | tuple[int, int] | str = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: str | dict[str, str] | None = None,
    ) -> None:
        require_tensorboard()
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        for name, value in (
            ("histogram_freq", histogram_freq),
            ("embeddings_freq", embeddings_freq),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"TensorBoard({name}=...) must be a non-negative integer; received {value!r}."
                )
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        ):
            raise ValueError(
                "TensorBoard(update_freq=...) must be 'epoch', 'batch' or a positive integer; "
                f"received {update_freq!r}."
            )
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self._writers: dict[str, Writer] = {}
        self._global_train_batch = 0
        self._tracing = False
        profiling = self._start_batch > 0
        timing = write_steps_per_second and update_freq != "epoch"
        if update_freq != "epoch" or profiling:
            # Batch hooks only when something is written per batch, so that the default
            # keeps fit's whole-epoch calls (kerax.callbacks.Callback.async_safe).
            self.on_train_batch_begin = self._train_batch_begin
            self.on_train_batch_end = self._train_batch_end
            self.async_safe = not (profiling or timing)

    # --- writers --------------------------------------------------------------------

    @property
    def summary(self) -> Writer:
        """Writes your own summaries into the ``train`` run: ``summary.scalar(name, value,
        step)``, ``summary.histogram(name, values, step)``, ``summary.image(name, images,
        step)``. (Keras's is the ``tf.summary`` module, writing to a default writer;
        kerax has none, so the step is always given and the run is ``train``.)"""
        return self._writer("train")

    def _writer(self, run: str) -> Writer:
        if run not in self._writers:
            self._writers[run] = Writer(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self._close_writers()
        if model is None:
            return
        if self.write_graph:
            self._write_model_config()
        if self.embeddings_freq:
            self._configure_embeddings()

    def _write_model_config(self) -> None:
        try:
            config = self.model.to_json()
        except Exception as err:  # noqa: BLE001 - Keras warns and goes on, too
            warnings.warn(
                f"TensorBoard(write_graph=True): model '{self.model.name}' could not be "
                f"serialized to JSON, so no graph is written ({err}).",
                stacklevel=2,
            )
            return
        self._writer("train").keras_model(config, step=0)

    # --- training -------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._writer("train")

    def on_train_end(self, logs=None):
        if self._tracing:
            self._stop_trace()
        self._close_writers()

    def _train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()
        if self._start_batch and self._global_train_batch == self._start_batch:
            self._start_trace()
        if self._tracing:
            from jax.profiler import StepTraceAnnotation

            self._step_trace = StepTraceAnnotation("batch", step_num=batch)
            self._step_trace.__enter__()

    def _train_batch_end(self, batch: int, logs: Any = None) -> None:
        step = self._global_train_batch
        if self.update_freq != "epoch" and step % self.update_freq == 0:
            writer = self._writer("train")
            if self.write_steps_per_second:
                elapsed = max(time.time() - self._batch_start_time, 1e-9)
                writer.scalar("batch_steps_per_second", 1.0 / elapsed, step)
            for name, value in (logs or {}).items():
                writer.scalar(f"batch_{name}", value, step)
        if self._tracing:
            self._step_trace.__exit__(None, None, None)
            if step >= self._stop_batch:
                self._stop_trace()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start = (_iterations(self.model), time.time())

    def on_epoch_end(self, epoch, logs=None):
        if logs:
            train = {k: v for k, v in logs.items() if not k.startswith("val_")}
            val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
            train.update(_learning_rates(self.model))
            if self.write_steps_per_second:
                start_step, start_time = self._epoch_start
                steps = (_iterations(self.model) or 0) - (start_step or 0)
                train["steps_per_second"] = steps / max(time.time() - start_time, 1e-9)
            for run, values in (("train", train), ("validation", val)):
                if values:
                    writer = self._writer(run)
                    for name, value in values.items():
                        writer.scalar(f"epoch_{name}", value, epoch)
                    writer.flush()
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            path = os.path.join(self.log_dir, "train", f"keras_embedding.ckpt-{epoch}.weights.h5")
            self.model.save_weights(path)

    # --- evaluation -----------------------------------------------------------------

    def on_test_end(self, logs=None):
        step = _iterations(self.model)
        if step is None or not logs:
            return
        writer = self._writer("validation")
        for name, value in logs.items():
            writer.scalar(f"evaluation_{name}_vs_iterations", value, step)
        writer.flush()

    # --- weights, embeddings, profiling ---------------------------------------------

    def _log_weights(self, epoch: int) -> None:
        from kerax.config import image_data_format

        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                value = np.asarray(weight.numpy())
                writer.histogram(f"{name}/histogram", value, epoch)
                if self.write_images:
                    image = weight_image(value, image_data_format() == "channels_last")
                    if image is not None:
                        writer.image(f"{name}/image", image, epoch)
        writer.flush()

    def _configure_embeddings(self) -> None:
        from google.protobuf import text_format
        from tensorboard.plugins.projector import projector_config_pb2

        from kerax.layers import Embedding

        config = projector_config_pb2.ProjectorConfig()
        metadata = self.embeddings_metadata
        unused = dict(metadata) if isinstance(metadata, dict) else {}
        for layer in self.model.layers:
            if isinstance(layer, Embedding):
                embedding = config.embeddings.add()
                embedding.tensor_name = "layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE"
                if isinstance(metadata, str):
                    embedding.metadata_path = metadata
                elif layer.name in unused:
                    embedding.metadata_path = unused.pop(layer.name)
        if unused:
            raise ValueError(
                "TensorBoard(embeddings_metadata=...) names layers that are not Embedding "
                f"layers of the model: {sorted(unused)}."
            )
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, "projector_config.pbtxt"), "w") as f:
            f.write(text_format.MessageToString(config))

    def _start_trace(self) -> None:
        import jax

        jax.profiler.start_trace(os.path.join(self.log_dir, "train"))
        self._tracing = True

    def _stop_trace(self) -> None:
        import jax

        self._tracing = False
        jax.profiler.stop_trace()


def _profile_range(profile_batch: Any) -> tuple[int, int]:
    message = (
        "TensorBoard(profile_batch=...) must be a non-negative integer or a pair of positive "
        f"integers (start, stop) with start <= stop; received {profile_batch!r}."
    )
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError as err:
            raise ValueError(message) from err
    if isinstance(value, int) and not isinstance(value, bool):
        start = stop = value
    elif isinstance(value, list | tuple) and len(value) == 2:
        start, stop = value
    else:
        raise ValueError(message)
    if not all(isinstance(v, int) for v in (start, stop)) or start < 0 or stop < start:
        raise ValueError(message)
    if start == 0 and stop > 0:
        raise ValueError(message)
    return start, stop


def _iterations(model: Any) -> int | None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "iterations"):
        return None
    return int(optimizer.iterations)


def _learning_rates(model: Any) -> dict[str, float]:
    """Keras's ``learning_rate`` logs: the optimizer's (the inner one of a loss-scale
    optimizer), or one per optimizer of a multi-optimizer."""
    from kerax.optimizers import Optimizer

    optimizer = getattr(model, "optimizer", None)
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)
    if hasattr(optimizer, "optimizers"):
        return {f"learning_rate_{o.name}": float(o.learning_rate) for o in optimizer.optimizers}
    if isinstance(optimizer, Optimizer):
        return {"learning_rate": float(optimizer.learning_rate)}
    return {}
