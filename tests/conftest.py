"""Shared test set-up: Keras (the parity oracle) runs on its JAX backend."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import pytest  # noqa: E402

import kerax  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_names():
    """Every test starts with Keras's default names (``dense``, ``dense_1``, ...)."""
    kerax.backend.clear_session()
    kerax.set_random_seed(0)
    yield
