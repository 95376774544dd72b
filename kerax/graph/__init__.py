"""The graph core: symbolic construction, the frozen IR, and its pure lowering."""

from kerax.graph.frame import Context, Frame
from kerax.graph.ir import Const, Graph, NodeIR, Ref
from kerax.graph.layout import Layout
from kerax.graph.lower import Lowered, lower
from kerax.graph.spec import TensorSpec
from kerax.graph.symbolic import KerasTensor, Node
from kerax.graph.trace import trace

__all__ = [
    "Const",
    "Context",
    "Frame",
    "Graph",
    "KerasTensor",
    "Layout",
    "Lowered",
    "Node",
    "NodeIR",
    "Ref",
    "TensorSpec",
    "lower",
    "trace",
]
