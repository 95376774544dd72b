"""kerax.distribution on 4 simulated CPU devices (in a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).with_name("dp_script.py")
API_SCRIPT = Path(__file__).with_name("api_script.py")


def _run(mode: str | None, script: Path = SCRIPT) -> dict:
    args = [sys.executable, str(script)] + ([mode] if mode else [])
    out = subprocess.run(args, capture_output=True, text=True, timeout=300)
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


def test_a_custom_train_step_runs_data_parallel_like_one_device():
    result = _run("custom_step")
    assert result["devices"] == 4
    assert result["max_diff"] < 1e-5
    assert result["batch_devices"] == [[4, 4]] * 8  # 4 batches per epoch, each split
    assert result["loss_finite"]


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


# ------------------------------------------------------------------ API parity with Keras
# api_script.py runs every check once, against real keras.distribution and kerax's.

# The checks api_script.py answers with both libraries (see the script for each).
PARITY_CHECKS = {
    "devices": ["list_devices", "get_device_count"],
    "meshes": [
        "mesh_2x2",
        "mesh_4_list",
        "mesh_reordered",
        "mesh_jax_devices",
        "mesh_wrong_count",
        "mesh_rank_mismatch",
        "mesh_empty",
    ],
    "tensor_layouts": [
        "layout_no_mesh",
        "layout_mesh",
        "layout_bad_axis",
        "layout_set_mesh_twice",
        "layout_set_mesh_bad_axis",
        "layout_backend",
        "layout_backend_no_mesh",
    ],
    "layout_maps": [
        "map_lookups",
        "map_two_matches",
        "map_duplicate",
        "map_replace",
        "map_bad_axis",
        "map_bad_value",
        "map_own_mesh",
        "map_delete_missing",
    ],
    "data_parallel": [
        "data_parallel_default",
        "data_parallel_devices",
        "data_parallel_jax_devices",
        "data_parallel_mesh",
        "data_parallel_not_a_mesh",
        "data_parallel_no_shard",
        "data_parallel_shard_setter",
    ],
    "model_parallel": [
        "model_parallel",
        "model_parallel_batch_dim",
        "model_parallel_4x1",
        "model_parallel_device_mesh_kwarg",
        "model_parallel_no_map",
        "model_parallel_dict_map",
        "data_shard_id",
    ],
    "scope_and_helpers": [
        "scope",
        "distribute_dataset_one_process",
        "distribute_tensor",
        "distribute_tensor_traced",
        "distribute_tensor_symbolic",
        "initialize_address_count",
    ],
}


@pytest.fixture(scope="module")
def api() -> dict:
    return _run(None, API_SCRIPT)


def test_every_parity_check_ran(api):
    assert sorted(api["pairs"]) == sorted(c for group in PARITY_CHECKS.values() for c in group)


@pytest.mark.parametrize("group", sorted(PARITY_CHECKS))
def test_same_answers_as_keras(api, group):
    for check in PARITY_CHECKS[group]:
        keras_answer, kerax_answer = api["pairs"][check]
        assert kerax_answer == keras_answer, check


def test_public_surface_matches_keras(api):
    # Every public name of keras.distribution, and every public method / property of
    # its classes with the same parameter names, kinds and defaults. The script's
    # ALLOWED list holds the deliberate differences; all of them must still be needed.
    assert api["signatures"] == []
    assert sorted(map(tuple, api["allowed"])) == [
        ("DataParallel", "distribute_tf_dataset"),
        ("Distribution", "distribute_tf_dataset"),
        ("ModelParallel", "distribute_tf_dataset"),
    ]


def test_distribute_dataset_gives_each_process_its_rows(api):
    got = api["kerax"]["datasets"]
    rows = np.arange(22.0).reshape(11, 2)
    # 11 rows over 2 processes: 6 and 5, one after the other.
    assert got["array_0"] == rows[:6].tolist() and got["array"] == rows[6:].tolist()
    assert got["tuple"] == [rows[6:].tolist(), list(range(6, 11))]
    assert got["dict"] == {"a": rows[6:].tolist(), "b": list(range(6, 11))}
    assert got["lists"] == [[5, 6]]  # a list of lists of numbers is one array
    # Iterables: process 0's half of every batch, and again on a second pass.
    expected = [[rows[:4].tolist(), [0, 1, 2, 3]], [rows[8:9].tolist(), [8]]]
    assert got["batches"] == expected and got["batches_again"] == expected
    assert got["odd_batch"] == ["raises", "ValueError"]
    assert got["not_data"] == ["raises", "TypeError"]
    assert got["no_shard"] is True
    # 2 replicas over 4 processes: process 3 reads the second half, as process 2 does.
    assert got["replicas"] == [4, 5, 6, 7]


def test_kerax_differences_from_keras(api):
    got = api["kerax"]
    assert got["contains_unmatched"] is False  # `in` asks whether a lookup finds a layout
    assert got["list_value"]["axes"] == ["batch", None]  # lists are taken as tuples
    # A 2-D mesh: batches split over its first axis, with a UserWarning (Keras 3.15
    # raises TypeError from its own warnings.warn call).
    assert got["data_parallel_2d"] == ["batch", ["UserWarning"], ["batch", None], 2]
    assert got["data_parallel_both"] == ["raises", "ValueError"]
    assert got["model_parallel_other_mesh"] == ["raises", "ValueError"]
    assert got["model_parallel_unknown_kwarg"] == ["raises", "TypeError"]
    # fit's variable placement asks get_variable_layout (a subclass's override counts)
    # and checks the layout against the variable's shape.
    assert got["override"] == [["batch", None], ["raises", "ValueError"], [None, "model"]]
