"""``kerax.optimizers.schedules``: the learning-rate schedules of ``kerax.schedules``."""

from kerax.schedules import *  # noqa: F403
from kerax.schedules import __all__  # noqa: F401
