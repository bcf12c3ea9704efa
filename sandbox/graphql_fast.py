"""A lean executor for already parsed and validated GraphQL documents.

graphql-core's executor spends ~20 µs of bookkeeping per field (paths, incremental delivery,
error wrapping); a crawler page of 100 users x 20 repositories x 10 topics has ~35,000 fields,
so the sandbox, not the crawler, set the pace. This walks the same document with the same
schema and the same resolvers, and gives up (returns None) on anything unusual, in which case
the caller runs graphql-core, whose answer is authoritative, errors included.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    default_field_resolver,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution.values import get_argument_values


class _GiveUp(Exception):
    """Something the lean path does not handle: let graphql-core answer."""


class _Info:
    """The part of GraphQLResolveInfo our resolvers use."""

    __slots__ = ("context", "field_name", "field_nodes", "parent_type", "schema", "variable_values")

    def __init__(self, schema: GraphQLSchema, context: Any, variables: Any) -> None:
        self.schema = schema
        self.context = context
        self.variable_values = variables
        self.field_name = ""
        self.field_nodes: list[FieldNode] = []
        self.parent_type: GraphQLObjectType | None = None


def execute_fast(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: Any,
    context: Any,
) -> dict[str, Any] | None:
    """The `data` of a query, or None when graphql-core must run instead.

    `variables` is what graphql-core's get_variable_values returned (coerced values).
    """
    if operation.operation.value != "query" or schema.query_type is None:
        return None
    runner = _Runner(schema, fragments, variables, context)
    try:
        return runner.object(schema.query_type, operation.selection_set, None)
    except _GiveUp:
        return None
    except Exception:  # resolver errors become GraphQL errors: graphql-core formats those
        return None


class _Runner:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Any,
        context: Any,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.info = _Info(schema, context, variables)
        self._plans: dict[tuple[int, str], list[tuple[str, FieldNode, Any]]] = {}
        # Arguments depend only on the field node and the request's variables: coerce once.
        self._args: dict[int, dict[str, Any]] = {}

    def plan(
        self, type_: GraphQLObjectType, selections: SelectionSetNode
    ) -> list[tuple[str, FieldNode, Any]]:
        """(response key, field node, field definition) per field, fragments flattened.

        Cached per (selection set, type): every user in a page shares one plan.
        """
        key = (id(selections), type_.name)
        cached = self._plans.get(key)
        if cached is not None:
            return cached
        out: list[tuple[str, FieldNode, Any]] = []
        seen: set[str] = set()
        self._collect(type_, selections, out, seen)
        self._plans[key] = out
        return out

    def _collect(
        self,
        type_: GraphQLObjectType,
        selections: SelectionSetNode,
        out: list[tuple[str, FieldNode, Any]],
        seen: set[str],
    ) -> None:
        for node in selections.selections:
            if getattr(node, "directives", None):
                raise _GiveUp  # @include/@skip: rare, leave them to graphql-core
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                if key in seen:
                    raise _GiveUp  # merging repeated fields is graphql-core's job
                seen.add(key)
                name = node.name.value
                if name == "__typename":
                    out.append((key, node, None))
                    continue
                definition = type_.fields.get(name)
                if definition is None:
                    raise _GiveUp
                out.append((key, node, definition))
            elif isinstance(node, InlineFragmentNode):
                if node.type_condition is None or self._applies(
                    node.type_condition.name.value, type_
                ):
                    self._collect(type_, node.selection_set, out, seen)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
                if fragment is None:
                    raise _GiveUp
                if self._applies(fragment.type_condition.name.value, type_):
                    self._collect(type_, fragment.selection_set, out, seen)

    def _applies(self, condition: str, type_: GraphQLObjectType) -> bool:
        if condition == type_.name:
            return True
        target = self.schema.get_type(condition)
        if target is not None and is_abstract_type(target):
            return self.schema.is_sub_type(target, type_)
        return False

    def object(
        self, type_: GraphQLObjectType, selections: SelectionSetNode, source: Any
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        info = self.info
        for key, node, definition in self.plan(type_, selections):
            if definition is None:
                result[key] = type_.name
                continue
            args = self._args.get(id(node))
            if args is None:
                # Through graphql-core: it applies the schema's default argument values.
                args = (
                    get_argument_values(definition, node, self.variables) if definition.args else {}
                )
                self._args[id(node)] = args
            info.field_name = node.name.value
            info.field_nodes = [node]
            info.parent_type = type_
            resolver: Any = definition.resolve or default_field_resolver
            value = resolver(source, info, **args)
            result[key] = self.complete(definition.type, node, value)
        return result

    def complete(self, type_: Any, node: FieldNode, value: Any) -> Any:
        if isinstance(value, Exception):
            raise _GiveUp  # an error in place of a value (nodes(ids:)): graphql-core reports it
        if isinstance(type_, GraphQLNonNull):
            if value is None:
                raise _GiveUp  # a null in a non-null field: graphql-core reports it
            return self.complete(type_.of_type, node, value)
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            return [self.complete(type_.of_type, node, item) for item in value]
        if is_leaf_type(type_):
            return type_.serialize(value)
        if isinstance(type_, GraphQLAbstractType):
            if type_.resolve_type is None:
                raise _GiveUp
            name = type_.resolve_type(value, self.info, type_)  # type: ignore[arg-type]
            runtime = self.schema.get_type(name) if isinstance(name, str) else None
            if not isinstance(runtime, GraphQLObjectType):
                raise _GiveUp
            type_ = runtime
        if node.selection_set is None:
            raise _GiveUp
        return self.object(type_, node.selection_set, value)
