"""``kerax.utils.Config`` against ``keras.utils.Config``: values, order, errors, JSON."""

from __future__ import annotations

import copy
import json
import pickle

import keras
import pytest

from kerax.utils import Config


def _pair():
    return Config(learning_rate=0.1, momentum=0.9), keras.utils.Config(
        learning_rate=0.1, momentum=0.9
    )


def _fill(config):
    config.use_ema = True
    config["seed"] = 123
    config.update({"beta": [1, 2]}, gamma="g")
    return config


def test_values_views_and_json_match_keras():
    ours, theirs = (_fill(c) for c in _pair())
    assert ours.as_dict() == theirs.as_dict()
    assert list(ours.keys()) == list(theirs.keys())
    assert list(ours.values()) == list(theirs.values())
    assert list(ours.items()) == list(theirs.items())
    assert list(ours) == list(theirs)  # iteration is sorted in Keras
    assert len(ours) == len(theirs)
    assert ours.to_json() == theirs.to_json()
    assert json.loads(ours.to_json()) == theirs.as_dict()
    assert repr(ours) == repr(theirs)
    assert ours.seed == theirs.seed and ours["use_ema"] == theirs["use_ema"]
    assert ("seed" in ours) == ("seed" in theirs) and ("nope" in ours) == ("nope" in theirs)
    assert ours.get("nope", 5) == theirs.get("nope", 5)
    assert ours.pop("gamma") == theirs.pop("gamma")
    assert ours.pop("nope", 4) == theirs.pop("nope", 4)
    del ours["beta"]
    del theirs["beta"]
    assert ours.as_dict() == theirs.as_dict()


def test_as_dict_is_a_copy():
    ours, theirs = _pair()
    for config in (ours, theirs):
        d = config.as_dict()
        d["x"] = 1
        assert "x" not in config


def test_unknown_attribute_errors_match_keras():
    ours, theirs = _pair()
    for name in ("learning_rat", "zzz"):
        with pytest.raises(AttributeError) as a:
            getattr(ours, name)
        with pytest.raises(AttributeError) as b:
            getattr(theirs, name)
        assert str(a.value) == str(b.value)


def _writes():
    return [
        lambda c: setattr(c, "seed", 1),
        lambda c: c.__setitem__("seed", 1),
        lambda c: c.update(seed=1),
        lambda c: c.pop("learning_rate"),
        lambda c: c.__delitem__("learning_rate"),
    ]


@pytest.mark.parametrize("write", range(5))
def test_frozen_writes_raise_as_keras(write):
    ours, theirs = _pair()
    for config in (ours, theirs):
        config.freeze()
        assert config.frozen
    errors = []
    for config in (ours, theirs):
        with pytest.raises(ValueError) as info:
            _writes()[write](config)
        errors.append(str(info.value))
    assert errors[0] == errors[1]
    assert ours.as_dict() == theirs.as_dict() == {"learning_rate": 0.1, "momentum": 0.9}
    for config in (ours, theirs):
        config.unfreeze()
        assert not config.frozen
        _writes()[write](config)
    assert ours.as_dict() == theirs.as_dict()


def test_method_names_are_refused_as_attributes_but_allowed_as_items():
    config = Config()
    with pytest.raises(AttributeError, match=r"config\['keys'\]"):
        config.keys = 1
    config["keys"] = 1
    assert config["keys"] == 1 and list(config.keys()) == ["keys"]


def test_copy_and_pickle_keep_entries_and_frozen_state():
    config = Config(a=1, b=[2])
    config.freeze()
    for clone in (copy.copy(config), copy.deepcopy(config), pickle.loads(pickle.dumps(config))):
        assert clone.as_dict() == {"a": 1, "b": [2]} and clone.frozen
