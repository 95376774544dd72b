"""kerax.distribution on 4 simulated CPU devices (in a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

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
    assert result["split_max_diff"] < 1e-5
    assert result["eval_diff"] < 1e-5
    assert result["predict_diff"] < 1e-5
    assert result["copies"] == [[66, 6]] * 4
    assert result["data_shards"] == [[17, 6]] * 4
    for name, (same_shape, diff) in result["odd_batches"].items():
        assert same_shape and diff < 1e-5, name
    assert "batch size 6 does not split evenly over the 4 devices" in result["batch_error"]


def test_layout_map_shards_kernels_and_rejects_bad_layouts():
    result = _run("model_parallel")
    assert result["spec"] == ["None", "model"]
    assert result["shard_shape"] == [6, 4]  # the (6, 8) kernel split over 2 "model" devices
    assert result["slot_specs"] == [["None", "model"]] * 2  # Adam's m and v follow it
    assert "does not divide dimension 3" in result["divide_error"]
    assert "'nope'" in result["axis_error"] and "not one of the mesh's axes" in result["axis_error"]


MP_SCRIPT = Path(__file__).with_name("mp_script.py")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("layout", ["contiguous", "interleaved"])
def test_two_processes_train_like_one_device_on_all_the_data(tmp_path, layout):
    port = str(_free_port())
    names = ("single", "0", "1")
    outs = [tmp_path / f"{name}.json" for name in names]
    procs = [
        subprocess.Popen(
            [sys.executable, str(MP_SCRIPT), name, str(out), port, layout],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, out in zip(names, outs)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    single, first, second = (json.loads(o.read_text()) for o in outs)
    assert first["devices"] == 4 and first["processes"] == 2
    for proc in (first, second):  # both processes hold the same, correct weights
        for a, b in zip(single["weights"], proc["weights"]):
            np.testing.assert_allclose(np.array(a), np.array(b), atol=1e-5)
        np.testing.assert_allclose(single["loss"], proc["loss"], rtol=1e-5)
        # evaluate covers all processes' rows together
        np.testing.assert_allclose(single["evaluate"], proc["evaluate"], rtol=1e-5)
        np.testing.assert_allclose(single["evaluate_batches"], proc["evaluate_batches"], rtol=1e-5)
    # predict gives each process the predictions for its own rows (22 and 18 rows)
    expected = np.array(single["predict"])
    for proc, rows in ((first, expected[:22]), (second, expected[22:])):
        np.testing.assert_allclose(np.array(proc["predict"]), rows, atol=1e-5)
        np.testing.assert_allclose(np.array(proc["predict_batches"]), rows[:10], atol=1e-5)
        np.testing.assert_allclose(np.array(proc["predict_on_batch"]), rows[:3], atol=1e-5)
