"""Importing kerax runs no JAX computation: the backend must still be free to start
later (``jax.distributed.initialize`` refuses to run after it has)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import jax._src.xla_bridge as xb
def started(*args, **kwargs):
    raise SystemExit("the JAX backend was started while importing kerax")
xb.backends = started
import kerax
"""


def test_importing_kerax_starts_no_backend():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
