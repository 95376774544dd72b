"""kerax.distribution on 4 simulated CPU devices (in a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("dp_script.py")


def _run(mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), mode], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_data_parallel_training_equals_single_device():
    result = _run("data_parallel")
    assert result["devices"] == 4
    assert result["max_diff"] < 1e-5
    assert result["eval_diff"] < 1e-5
    assert "batch size 6 does not split evenly over the 4 devices" in result["batch_error"]


def test_layout_map_shards_kernels_and_rejects_bad_layouts():
    result = _run("model_parallel")
    assert result["spec"] == ["None", "model"]
    assert result["shard_shape"] == [6, 4]  # the (6, 8) kernel split over 2 "model" devices
    assert "does not divide dimension 3" in result["divide_error"]
    assert "'nope'" in result["axis_error"] and "not one of the mesh's axes" in result["axis_error"]
