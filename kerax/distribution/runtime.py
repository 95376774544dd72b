"""The multi-process runtime: starting it, and moving small values between processes.

kerax is multi-controller, as JAX is: every process runs the same program on its own
share of the data, and the jitted steps span the devices of all processes. The helpers
here wrap :mod:`jax.experimental.multihost_utils`; with one process they do nothing.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import numpy as np


def initialize(
    job_addresses: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> None:
    """Starts JAX's multi-process runtime (``jax.distributed.initialize``).

    Call it at the start of every process, before anything touches a device. Arguments
    left out are read from the environment variables Keras uses
    (``KERAS_DISTRIBUTION_JOB_ADDRESSES``, ``KERAS_DISTRIBUTION_NUM_PROCESSES``,
    ``KERAS_DISTRIBUTION_PROCESS_ID``), else JAX detects them (Slurm, TPU pods, ...).
    CPU processes talk over Gloo.

    Args:
        job_addresses: The coordinator's address (``"host:port"``), or a comma-separated
            list of all processes' addresses whose first entry is the coordinator.
        num_processes: How many processes take part.
        process_id: This process's index, from 0.

    Raises:
        ValueError: If ``job_addresses`` lists a number of processes other than
            ``num_processes``.
    """
    env = os.environ
    job_addresses = job_addresses or env.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in env:
        num_processes = int(env["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in env:
        process_id = int(env["KERAS_DISTRIBUTION_PROCESS_ID"])
    addresses = job_addresses.split(",") if job_addresses else []
    if len(addresses) > 1 and num_processes is not None and num_processes != len(addresses):
        raise ValueError(
            f"`job_addresses` lists {len(addresses)} processes ({job_addresses!r}) but "
            f"`num_processes` is {num_processes}; give one address per process, or only "
            "the coordinator's."
        )
    coordinator = addresses[0] if addresses else None
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=coordinator, num_processes=num_processes, process_id=process_id
    )


def multi_process() -> bool:
    """Whether more than one process takes part."""
    return jax.process_count() > 1


def all_gather(value: Any) -> np.ndarray:
    """``value`` from every process, stacked in process order (``[value]`` with one)."""
    if not multi_process():
        return np.asarray(value)[None]
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(np.asarray(value)))


def from_first_process(tree: Any) -> Any:
    """Process 0's ``tree`` on every process, as host arrays (``tree`` with one process).

    Used so that all processes start from the same weights and shuffle the same way
    even when their seeds differ.
    """
    if not multi_process():
        return tree
    from jax.experimental import multihost_utils

    host = jax.tree_util.tree_map(to_host, tree)
    got = multihost_utils.broadcast_one_to_all(host)
    # The broadcast sums over processes, which promotes bools and small ints: restore.
    return jax.tree_util.tree_map(lambda new, old: np.asarray(new, old.dtype), got, host)


def to_host(x: Any) -> np.ndarray:
    """A NumPy copy of ``x``, also of arrays that span other processes' devices."""
    if not isinstance(x, jax.Array) or x.is_fully_addressable:
        return np.asarray(x)
    if x.is_fully_replicated:
        return np.asarray(x.addressable_data(0))
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(x, tiled=True))
