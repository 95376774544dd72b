"""TensorBoard event files, written with the ``tensorboard`` package's own pure-Python
writer and protos (no TensorFlow): the summaries Keras's ``TensorBoard`` callback writes
through ``tf.summary``, in the same form (tensor summaries tagged with their plugin).
"""

from __future__ import annotations

import struct
import time
import zlib
from typing import Any

import numpy as np

EXTRA = "`pip install kerax[tensorboard]`"


def require_tensorboard() -> None:
    """Raises an ImportError naming the extra when ``tensorboard`` is not installed."""
    try:
        import tensorboard  # noqa: F401
    except ImportError as err:
        raise ImportError(
            f"The TensorBoard callback writes event files with the tensorboard package: {EXTRA}."
        ) from err


class Writer:
    """One run directory's event file (``events.out.tfevents.*.v2``), as
    ``tf.summary.create_file_writer`` makes it."""

    def __init__(self, logdir: str) -> None:
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        self._file = EventFileWriter(logdir, filename_suffix=".v2")

    def _add(self, summary: Any, step: int) -> None:
        from tensorboard.compat.proto import event_pb2

        self._file.add_event(
            event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary)
        )

    def scalar(self, tag: str, value: Any, step: int) -> None:
        """``tf.summary.scalar``: a float32 scalar for the scalars dashboard."""
        from tensorboard.plugins.scalar.summary_v2 import scalar_pb

        self._add(scalar_pb(tag, np.asarray(value, np.float32)), step)

    def histogram(self, tag: str, values: Any, step: int) -> None:
        """``tf.summary.histogram`` (30 equal-width buckets)."""
        from tensorboard.plugins.histogram.summary_v2 import histogram_pb

        self._add(histogram_pb(tag, np.asarray(values, np.float64)), step)

    def image(self, tag: str, images: np.ndarray, step: int, max_outputs: int = 3) -> None:
        """``tf.summary.image`` of float images ``(k, h, w, c)``: values are clipped to
        [0, 1] and scaled to bytes (``tf.image.convert_image_dtype(saturate=True)``)."""
        from tensorboard.compat.proto import summary_pb2
        from tensorboard.plugins.image import metadata
        from tensorboard.util import tensor_util

        data = np.asarray(images, np.float64)
        pixels = np.clip(data * 255.5, 0, 255).astype(np.uint8)[:max_outputs]
        strings = [str(data.shape[2]).encode(), str(data.shape[1]).encode()]
        strings += [_png(p) for p in pixels]
        value = summary_pb2.Summary.Value(
            tag=tag,
            metadata=metadata.create_summary_metadata(display_name=None, description=None),
            tensor=tensor_util.make_tensor_proto(np.array(strings, dtype=object)),
        )
        self._add(summary_pb2.Summary(value=[value]), step)

    def keras_model(self, config_json: str, step: int = 0) -> None:
        """The model's JSON config under tag ``keras`` (plugin ``graph_keras_model``), which
        TensorBoard's graph dashboard draws as the conceptual graph, as Keras writes it."""
        from tensorboard.compat.proto import summary_pb2
        from tensorboard.util import tensor_util

        meta = summary_pb2.SummaryMetadata()
        meta.plugin_data.plugin_name = "graph_keras_model"
        meta.plugin_data.content = b"1"
        value = summary_pb2.Summary.Value(
            tag="keras",
            metadata=meta,
            tensor=tensor_util.make_tensor_proto(np.array(config_json.encode(), dtype=object)),
        )
        self._add(summary_pb2.Summary(value=[value]), step)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def _png(image: np.ndarray) -> bytes:
    """A PNG of a ``(h, w, c)`` uint8 image, ``c`` in 1 (grey), 3 (RGB), 4 (RGBA)."""
    h, w, c = image.shape
    color = {1: 0, 3: 2, 4: 6}[c]
    rows = b"".join(b"\x00" + image[i].tobytes() for i in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def weight_image(weight: np.ndarray, channels_last: bool = True) -> np.ndarray | None:
    """A weight as Keras shows it with ``write_images``: ``(k, h, w, 1)`` images, or
    None for shapes it does not draw."""
    w = np.squeeze(np.asarray(weight, np.float32))
    if w.ndim == 1:  # a bias: one column
        w = w.reshape(1, w.shape[0], 1, 1)
    elif w.ndim == 2:  # a Dense kernel, drawn wide
        if w.shape[0] > w.shape[1]:
            w = w.T
        w = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif w.ndim == 3:  # a 1D convolution: one image per output channel
        if channels_last:
            w = np.transpose(w, (2, 0, 1))
        w = w.reshape(w.shape[0], w.shape[1], w.shape[2], 1)
    if w.ndim == 4 and w.shape[-1] in (1, 3, 4):
        return w
    return None
