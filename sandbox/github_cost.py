"""GitHub GraphQL query cost and node limits, computed before execution as GitHub does.

The published formula ("Predicting the point value of a query"): add up the requests needed to
fulfil each connection, assuming every connection returns its full `first`/`last`; a connection
needs one request per parent object, i.e. the product of the page sizes of the connections
above it. Divide by 100, round to the nearest whole number (halves up), minimum 1.
Example: search(first:100) > repositories(first:20) > repositoryTopics(first:10) needs
1 + 100 + 100*20 = 2,101 requests: 21 points.

Node limit ("Node limit"): every connection needs `first` or `last` in 1..100 and a call may
ask for at most 500,000 nodes (the sum over connections of the product of page sizes).
A connection asked only for `totalCount` may omit `first`; it still costs its requests.
`nodes(ids: [...])` is a list, not a connection: it needs no request of its own, but every
connection below it is asked once per id, as under a connection's `first` (so N users with
their repositories cost what a search page of N does, less the search's own request). GitHub
refuses more than 100 ids (ARGUMENT_LIMIT); the docs leave list fields out of the formula,
and this is the reading that charges every user's repositories, never one request for all.
Where a selection branches on a union or interface (`... on User` / `... on Organization`),
each concrete type is priced separately and the dearest counts: one node is only one type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_object_type,
)
from graphql.execution.values import get_argument_values

MAX_PAGE = 100
MAX_IDS = 100
MAX_NODES = 500_000


@dataclass(frozen=True, slots=True)
class Cost:
    requests: int = 0
    nodes: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.requests + other.requests, self.nodes + other.nodes)

    @property
    def points(self) -> int:
        return max(1, (self.requests + 50) // 100)


class CostError(Exception):
    """A query GitHub refuses before running it (pagination bounds, node limit)."""

    def __init__(self, type_: str, message: str, node: FieldNode | None, path: list[str]):
        super().__init__(message)
        self.type = type_
        self.message = message
        self.node = node
        self.path = path

    def formatted(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "path": self.path}
        if self.node is not None and self.node.loc is not None:
            loc = self.node.loc.source.get_location(self.node.loc.start)
            out["locations"] = [{"line": loc.line, "column": loc.column}]
        out["message"] = self.message
        return out


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Any,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection(
        self, parent: Any, selections: SelectionSetNode | None, mult: int, path: list[str]
    ) -> Cost:
        if selections is None:
            return Cost()
        if is_abstract_type(parent):
            types = list(self.schema.get_possible_types(parent))
        else:
            types = [parent]
        best = Cost()
        for concrete in types:
            total = Cost()
            for node in self._fields(concrete, selections):
                total += self.field(concrete, node, mult, path)
            if (total.requests, total.nodes) > (best.requests, best.nodes):
                best = total
        return best

    def _applies(self, concrete: GraphQLObjectType, condition: str | None) -> bool:
        if condition is None:
            return True
        cond = self.schema.get_type(condition)
        if cond is concrete:
            return True
        return bool(
            cond is not None and is_abstract_type(cond) and self.schema.is_sub_type(cond, concrete)
        )

    def _fields(self, concrete: GraphQLObjectType, selections: SelectionSetNode) -> list[FieldNode]:
        out: list[FieldNode] = []
        for sel in selections.selections:
            if isinstance(sel, FieldNode):
                out.append(sel)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else None
                if self._applies(concrete, cond):
                    out += self._fields(concrete, sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                frag = self.fragments.get(sel.name.value)
                if frag is not None and self._applies(concrete, frag.type_condition.name.value):
                    out += self._fields(concrete, frag.selection_set)
        return out

    def field(self, parent: GraphQLObjectType, node: FieldNode, mult: int, path: list[str]) -> Cost:
        name = node.name.value
        definition = parent.fields.get(name)
        if definition is None or node.selection_set is None:
            return Cost()
        path = [*path, node.alias.value if node.alias else name]
        target = get_named_type(definition.type)
        if "ids" in definition.args:
            ids = get_argument_values(definition, node, self.variables).get("ids") or []
            if len(ids) > MAX_IDS:
                raise CostError(
                    "ARGUMENT_LIMIT",
                    f"You may not provide more than {MAX_IDS} node ids; you provided {len(ids)}.",
                    node,
                    path,
                )
            below = self.selection(target, node.selection_set, mult * len(ids), path)
            return Cost(nodes=mult * len(ids)) + below
        if not (is_object_type(target) and target.name.endswith("Connection")):
            return self.selection(target, node.selection_set, mult, path)
        args = get_argument_values(definition, node, self.variables)
        first, last = args.get("first"), args.get("last")
        size = first if first is not None else last
        arg = "first" if first is not None else "last"
        inner = [
            s
            for s in node.selection_set.selections
            if isinstance(s, FieldNode) and s.name.value in ("nodes", "edges")
        ]
        if size is None:
            if inner:
                raise CostError(
                    "MISSING_PAGINATION_BOUNDARIES",
                    f"You must provide a `first` or `last` value to properly paginate the "
                    f"`{name}` connection.",
                    node,
                    path,
                )
            size = 0
        if size > MAX_PAGE:
            raise CostError(
                "EXCESSIVE_PAGINATION",
                f"Requesting {size} records on the `{name}` connection exceeds the `{arg}` "
                f"limit of {MAX_PAGE} records.",
                node,
                path,
            )
        if size < 0:
            raise CostError(
                "INVALID_PAGINATION",
                f"`{arg}` on the `{name}` connection cannot be less than zero.",
                node,
                path,
            )
        own = Cost(requests=mult, nodes=mult * size)
        assert isinstance(target, GraphQLObjectType)
        item_type = get_named_type(target.fields["nodes"].type)
        children = [Cost()]
        for sub in inner:
            if sub.name.value == "nodes":
                children.append(self.selection(item_type, sub.selection_set, mult * size, path))
            elif sub.selection_set is not None:
                for edge_field in sub.selection_set.selections:
                    if isinstance(edge_field, FieldNode) and edge_field.name.value == "node":
                        children.append(
                            self.selection(item_type, edge_field.selection_set, mult * size, path)
                        )
        # `nodes` and `edges { node }` read the same page: count it once.
        return own + max(children, key=lambda c: (c.requests, c.nodes))


def query_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: Any,
) -> Cost:
    """The cost of one (validated) operation; raises CostError where GitHub refuses it.
    `variables` is what graphql-core's get_variable_values returned."""
    root = schema.query_type
    assert root is not None
    walker = _Walker(schema, fragments, variables)
    cost = walker.selection(root, operation.selection_set, 1, [operation.operation.value])
    if cost.nodes > MAX_NODES:
        raise CostError(
            "MAX_NODE_LIMIT_EXCEEDED",
            f"This query requests up to {cost.nodes:,} possible nodes which exceeds the maximum "
            f"limit of {MAX_NODES:,}.",
            None,
            [operation.operation.value],
        )
    return cost
