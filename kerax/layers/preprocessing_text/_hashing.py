"""The buckets Keras's lookup layers spread OOV terms over, when they have several.

The hashes are the ones ``Hashing`` uses (:mod:`kerax.layers.preprocessing._farmhash`):
FarmHash's 64-bit fingerprint, what TensorFlow's ``strings.to_hash_bucket_fast``
reduces modulo the bucket count, and SipHash-2-4 with a 128-bit key, behind
``to_hash_bucket_strong`` (used when a ``salt`` is given).
"""

from __future__ import annotations

from kerax.layers.preprocessing._farmhash import fingerprint64, siphash64


def hash_buckets(values: list[bytes], num_buckets: int, salt: list[int] | None) -> list[int]:
    """Each value's bucket in ``[0, num_buckets)``: FarmHash, or SipHash with ``salt``."""
    if salt is None:
        return [fingerprint64(v) % num_buckets for v in values]
    key = (salt[0], salt[1])
    return [siphash64(key, v) % num_buckets for v in values]
