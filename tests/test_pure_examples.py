"""The pure-API examples: a custom jax.jit loop and a GAN with two optimizers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_custom_training_loop_learns_digits():
    out = _run("custom_training_loop.py")
    losses = [float(v) for v in re.findall(r"loss ([0-9.]+)", out)]
    assert losses[-1] < losses[0]
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy > 0.9


def test_gan_learns_the_ring():
    out = _run("gan_two_optimizers.py")
    radius = float(re.search(r"Mean radius of generated points: ([0-9.]+)", out).group(1))
    assert abs(radius - 2.0) < 0.3
