"""A budget for composed YAML documents: aliases must not expand a small text into a huge tree.

YAML anchors and aliases let a few hundred bytes describe billions of values
(the "billion laughs": ``a: &a [x, x, x]``, ``b: &b [*a, *a, *a]`` …). PyYAML
builds such a document cheaply, sharing the aliased objects, so the explosion
happens later, wherever the data is walked or serialised (JSON for storage,
YAML when written back). Both the config loader (``flows.config``) and the
seed format (``extractors.seedformat``) therefore charge every value a
document holds *after* alias expansion against the same budget, on the node
tree, before anything is constructed.

Pure: no I/O.
"""

from __future__ import annotations

import yaml

# Values (scalars, lists, mappings) a document may hold once its aliases are expanded.
MAX_NODES = 100_000
# Characters its scalars may add up to once expanded: a long string aliased many times
# is as bad as many values.
MAX_SCALAR_CHARS = 10_000_000


class YamlBudgetError(ValueError):
    """A YAML document over the budget, or one whose aliases refer to themselves.

    Attributes:
        problem: what is wrong, without a location (e.g. "document too large (…)").
        mark: where in the text the offending node starts (lines count from 0).
    """

    def __init__(self, problem: str, mark: yaml.Mark) -> None:
        super().__init__(problem)
        self.problem = problem
        self.mark = mark


class ExpansionBudget:
    """Counts the values and scalar characters of a document as they are visited.

    Visit a node once per place it appears (each alias visits its anchor's node
    again): that is what building or serialising the document costs.
    """

    def __init__(
        self, max_nodes: int = MAX_NODES, max_scalar_chars: int = MAX_SCALAR_CHARS
    ) -> None:
        self.max_nodes = max_nodes
        self.max_scalar_chars = max_scalar_chars
        self._nodes = max_nodes
        self._chars = max_scalar_chars

    def charge(self, node: yaml.Node) -> None:
        """Count one visit of ``node``.

        Raises:
            YamlBudgetError: the document holds more values or scalar text than allowed.
        """
        self._nodes -= 1
        if self._nodes < 0:
            raise YamlBudgetError(
                f"document too large (over {self.max_nodes} values after expanding aliases)",
                node.start_mark,
            )
        if isinstance(node, yaml.ScalarNode):
            self._chars -= len(node.value)
            if self._chars < 0:
                raise YamlBudgetError(
                    f"document too large (over {self.max_scalar_chars} characters of text "
                    "after expanding aliases)",
                    node.start_mark,
                )


def check_expansion(root: yaml.Node, budget: ExpansionBudget | None = None) -> None:
    """Walk a composed document as its constructor would, charging ``budget``.

    Args:
        root: the document's root node (``loader.get_single_node()``).
        budget: the budget to charge; the default limits when None.

    Raises:
        YamlBudgetError: over the budget, or an alias that contains itself (a cycle
            would make serialising it never end).
        RecursionError: nesting deeper than Python's recursion limit.
    """
    budget = budget or ExpansionBudget()
    active: set[int] = set()

    def visit(node: yaml.Node) -> None:
        budget.charge(node)
        if isinstance(node, yaml.ScalarNode):
            return
        if id(node) in active:
            raise YamlBudgetError("recursive alias is not allowed", node.start_mark)
        active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                for item in node.value:
                    visit(item)
            elif isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    visit(key)
                    visit(value)
        finally:
            active.discard(id(node))

    visit(root)
