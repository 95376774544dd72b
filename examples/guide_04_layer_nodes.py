"""Functional API guide: a layer's nodes.

Each call of a layer on an input adds a node to the layer, linking that input to the new
output; the nodes are numbered 0, 1, 2, ... in call order. With a single node,
``layer.output`` (and ``input``, ``input_shape``, ``output_shape``) is well defined; with
several, ask for a node by index with ``get_output_at(i)`` and friends.
"""

from kerax.layers import LSTM, Conv2D, Input

# One call, one node: `.output` is that call's output.
a = Input(shape=(280, 256))

lstm = LSTM(32)
encoded_a = lstm(a)

assert lstm.output == encoded_a
print("single node: lstm.output is encoded_a")

# Two calls, two nodes: `.output` no longer names one tensor.
a = Input(shape=(280, 256))
b = Input(shape=(280, 256))

lstm = LSTM(32)
encoded_a = lstm(a)
encoded_b = lstm(b)

try:
    lstm.output  # noqa: B018
except AttributeError as error:
    print("AttributeError:", error)
else:
    raise AssertionError("lstm.output should fail for a layer with two inbound nodes")

# Asking by node index works:
assert lstm.get_output_at(0) == encoded_a
assert lstm.get_output_at(1) == encoded_b
print("get_output_at(0) is encoded_a, get_output_at(1) is encoded_b")

# Shapes work the same way: a Conv2D called on inputs of two different shapes has two
# input shapes, one per node.
a = Input(shape=(32, 32, 3))
b = Input(shape=(64, 64, 3))

conv = Conv2D(16, (3, 3), padding="same")
convded_a = conv(a)

# With one call so far, the plain property works:
assert conv.input_shape == (None, 32, 32, 3)

convded_b = conv(b)
# Now `.input_shape` is ambiguous, but the per-node accessors work:
assert conv.get_input_shape_at(0) == (None, 32, 32, 3)
assert conv.get_input_shape_at(1) == (None, 64, 64, 3)

try:
    conv.input_shape  # noqa: B018
except AttributeError as error:
    print("AttributeError:", error)
else:
    raise AssertionError("conv.input_shape should fail for two different input shapes")

print("get_input_shape_at(0):", conv.get_input_shape_at(0))
print("get_input_shape_at(1):", conv.get_input_shape_at(1))
print("get_output_shape_at(1):", conv.get_output_shape_at(1))
