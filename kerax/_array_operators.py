"""The Python operators of a variable: each reads ``self.value`` and applies the
operator to it, so that Keras-style ``call`` code can write ``x @ self.w + self.b``."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp


class ArrayOperators:
    """Mixin of :class:`~kerax.variables.Variable`: arithmetic, comparison, bitwise and
    conversion operators on the current value."""

    __slots__ = ()
    value: Any

    def __add__(self, o):
        return self.value + o

    def __radd__(self, o):
        return o + self.value

    def __sub__(self, o):
        return self.value - o

    def __rsub__(self, o):
        return o - self.value

    def __mul__(self, o):
        return self.value * o

    def __rmul__(self, o):
        return o * self.value

    def __truediv__(self, o):
        return self.value / o

    def __rtruediv__(self, o):
        return o / self.value

    def __matmul__(self, o):
        return self.value @ o

    def __rmatmul__(self, o):
        return o @ self.value

    def __neg__(self):
        return -self.value

    def __pow__(self, o):
        return self.value**o

    def __getitem__(self, idx):
        return self.value[idx]

    def __rpow__(self, o):
        return o**self.value

    def __floordiv__(self, o):
        return self.value // o

    def __rfloordiv__(self, o):
        return o // self.value

    def __mod__(self, o):
        return self.value % o

    def __rmod__(self, o):
        return o % self.value

    def __abs__(self):
        return abs(self.value)

    def __pos__(self):
        return self.value

    def __lt__(self, o):
        return self.value < o

    def __le__(self, o):
        return self.value <= o

    def __gt__(self, o):
        return self.value > o

    def __ge__(self, o):
        return self.value >= o

    def __invert__(self):
        return ~self.value

    def __and__(self, o):
        return self.value & o

    def __rand__(self, o):
        return o & self.value

    def __or__(self, o):
        return self.value | o

    def __ror__(self, o):
        return o | self.value

    def __xor__(self, o):
        return self.value ^ o

    def __rxor__(self, o):
        return o ^ self.value

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __round__(self, ndigits: int | None = None):
        return jnp.round(self.value, ndigits or 0)
