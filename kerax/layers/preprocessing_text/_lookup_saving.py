"""Config and ``.keras`` state of the lookup layers: Keras's config keys, the
vocabulary as the ``vocabulary.txt`` asset, the idf weights as a named array."""

from __future__ import annotations

import os
from typing import Any

import numpy as np


class LookupSaving:
    """``get_config``, ``save_assets`` / ``load_assets`` and the named-array hooks of
    :class:`~kerax.layers.preprocessing_text._index_lookup.IndexLookup`."""

    # ------------------------------------------------------------------ saving
    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "invert": self.invert,
                "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices,
                "oov_token": self.oov_token,
                "mask_token": self.mask_token,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "idf_weights": _listify(self.input_idf_weights),
                "vocabulary": _listify(self.input_vocabulary),
                "vocabulary_size": self._frozen_vocab_size,
                "salt": self.salt,
            }
        )
        return config

    def save_assets(self, dir_path: str) -> None:
        """Writes an adapted vocabulary to ``dir_path/vocabulary.txt`` (Keras's layout;
        a vocabulary given to the constructor is in the config instead)."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(t) for t in self.get_vocabulary()))

    def load_assets(self, dir_path: str) -> None:
        """Reads the vocabulary written by :meth:`save_assets`."""
        if self.input_vocabulary is not None:
            return
        path = os.path.join(dir_path, "vocabulary.txt")
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        if not lines:
            return
        values = [self._token_from_text(line) for line in lines]
        idf = None
        if self.output_mode == "tf_idf" and self._idf is not None:
            idf = self._idf[: len(values)]  # without the zeros of pad_to_max_tokens
        self.set_vocabulary(values, idf)

    def _h5_extra_vars(self) -> dict[str, np.ndarray]:
        """Arrays Keras stores under the layer's ``vars`` group by name (idf weights)."""
        if self.output_mode == "tf_idf" and self._idf is not None:
            return {"idf_weights": np.asarray(self._idf, np.float32)}
        return {}

    def _load_h5_extra_vars(self, store: dict[str, np.ndarray]) -> None:
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self._idf = np.asarray(store["idf_weights"], np.float32)


def _listify(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, np.ndarray | list | tuple):
        return np.asarray(value).tolist()
    return value
