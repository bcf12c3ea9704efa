"""GitHub GraphQL (`POST /graphql`): parse, validate, price, charge, execute.

What GitHub documents and this reproduces:
- errors come back with status 200 as `{"errors": [{"message", "locations", "path"?, "type"?,
  "extensions"?}]}`; parse and validation errors have no `data`, resolver errors (NOT_FOUND)
  come with `data` in which the failed field is null;
- the cost (see github_cost) is charged to the caller's `graphql` budget before execution;
  `rateLimit { cost remaining resetAt ... }` reports the state after this query;
- a query that costs more than remains is not run: status 200, `x-ratelimit-remaining` as it
  stands, and `{"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for
  user ID <id>."}]}`.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    VariableNode,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from sandbox import github_schema
from sandbox.github_cost import CostError, query_cost
from sandbox.github_limits import DOCS, Budgets, Caller, Window
from sandbox.github_search import UserIndex
from sandbox.graphql_fast import execute_fast
from sandbox.model import GitHubAccount, Stats

_UNDEFINED_FIELD = re.compile(r"Cannot query field '(\w+)' on type '(\w+)'\.")
# graphql-core 3.2 and 3.3 word a missing required argument differently.
_MISSING_ARG = re.compile(
    r"(?:Field '(\w+)' argument '(\w+)'|Argument '\w+\.(\w+)\((\w+):\)') of type '.+' is required"
)
_SCHEMA: GraphQLSchema | None = None
_SCHEMA_LOCK = threading.Lock()


def schema() -> GraphQLSchema:
    """Built once per process: the schema is immutable and resolvers are stateless."""
    global _SCHEMA
    with _SCHEMA_LOCK:
        if _SCHEMA is None:
            _SCHEMA = github_schema.build()
        return _SCHEMA


def _github_message(error: GraphQLError) -> dict[str, Any]:
    """Reword graphql-core's validation messages the way GitHub words them."""
    out: dict[str, Any] = {}
    m = _UNDEFINED_FIELD.match(error.message)
    if m:
        field, type_name = m.groups()
        out["message"] = f"Field '{field}' doesn't exist on type '{type_name}'"
        out["extensions"] = {"code": "undefinedField", "typeName": type_name, "fieldName": field}
        return out
    m = _MISSING_ARG.match(error.message)
    if m:
        field, arg = m.group(1) or m.group(3), m.group(2) or m.group(4)
        out["message"] = f"Field '{field}' is missing required arguments: {arg}"
        out["extensions"] = {
            "code": "missingRequiredArguments",
            "className": "Field",
            "name": field,
            "arguments": arg,
        }
        return out
    out["message"] = error.message
    return out


def format_error(error: GraphQLError, reword: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kind = github_schema.error_type(error)
    if kind:
        out["type"] = kind
    if error.path:
        out["path"] = list(error.path)
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    out.update(_github_message(error) if reword else {"message": error.message})
    return out


class GraphQLService:
    """Runs GraphQL requests against the world; thread-safe."""

    cache_size = 256

    def __init__(
        self,
        accounts: dict[str, GitHubAccount],
        index: UserIndex,
        budgets: Budgets,
        stats: Stats,
    ) -> None:
        self.schema = schema()
        self.accounts = accounts
        self.index = index
        self.budgets = budgets
        self.stats = stats
        self._documents: OrderedDict[str, DocumentNode | list[dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self._viewers: dict[int, GitHubAccount] = {}
        self._node_index: dict[str, GitHubAccount] | None = None

    def _by_node(self) -> dict[str, GitHubAccount]:
        """Accounts by global node id, built on the first `node`/`nodes` query."""
        if self._node_index is None:
            self._node_index = github_schema.nodes_by_id(self.accounts.values())
        return self._node_index

    def execute(self, body: bytes, caller: Caller, api: str) -> tuple[int, dict[str, Any], Window]:
        """(status, JSON payload, graphql window) for one POST body."""
        window = self.budgets.peek(caller, "graphql")
        try:
            payload = json.loads(body or b"null")
            query = payload["query"]
            variables = payload.get("variables") or {}
            operation_name = payload.get("operationName")
            if not isinstance(query, str) or not isinstance(variables, dict):
                raise TypeError
        except (ValueError, TypeError, KeyError):
            problem = {
                "message": "Problems parsing JSON",
                "documentation_url": f"{DOCS}/graphql",
                "status": "400",
            }
            return 400, problem, window
        document = self._document(query)
        if isinstance(document, list):
            return 200, {"errors": document}, window
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            name = operation_name or ""
            return 200, {"errors": [{"message": f'No operation named "{name}"'}]}, window
        # graphql-core 3.3 returns VariableValues (.coerced), 3.2 a plain dict; errors: a list.
        variable_values: Any = get_variable_values(
            self.schema, operation.variable_definitions or (), variables
        )
        if isinstance(variable_values, list):
            return 200, {"errors": [format_error(e) for e in variable_values]}, window
        coerced: dict[str, Any] = getattr(variable_values, "coerced", variable_values)
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        try:
            cost = query_cost(self.schema, operation, fragments, variable_values)
        except CostError as exc:
            return 200, {"errors": [exc.formatted()]}, window
        if _dry_run(operation, coerced):
            window = self.budgets.peek(caller, "graphql")
        else:
            ok, window = self.budgets.charge(caller, "graphql", cost.points)
            if not ok:
                self.stats.incr("github.rate_limited")
                message = f"API rate limit exceeded for user ID {caller.user_id}."
                return 200, {"errors": [{"type": "RATE_LIMITED", "message": message}]}, window
            self.stats.incr("github.graphql.points", cost.points)
        reset = datetime.fromtimestamp(window.reset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        rate = {
            "cost": cost.points,
            "limit": window.limit,
            "remaining": window.remaining,
            "used": window.used,
            "resetAt": reset,
            "nodeCount": cost.nodes,
        }
        context = github_schema.Context(
            self.accounts, self.index, self._viewer(caller), rate, self._by_node
        )
        data = execute_fast(self.schema, operation, fragments, variable_values, context)
        if data is not None:
            return 200, {"data": data}, window
        # The lean path gave up (an error, a directive, ...): graphql-core is authoritative.
        context = github_schema.Context(
            self.accounts, self.index, self._viewer(caller), rate, self._by_node
        )
        result = execute_sync(
            self.schema,
            document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
        )
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [format_error(e) for e in result.errors]
        return 200, out, window

    def _document(self, query: str) -> DocumentNode | list[dict[str, Any]]:
        """Parsed and validated once per query text (crawlers repeat one query with new
        variables); a list means errors."""
        with self._lock:
            hit = self._documents.get(query)
            if hit is not None:
                self._documents.move_to_end(query)
                return hit
        result: DocumentNode | list[dict[str, Any]]
        try:
            document = parse(query)
            errors = validate(self.schema, document)
            result = [format_error(e, reword=True) for e in errors] if errors else document
        except GraphQLError as exc:
            result = [format_error(exc)]
        with self._lock:
            self._documents[query] = result
            if len(self._documents) > self.cache_size:
                self._documents.popitem(last=False)
        return result

    def _viewer(self, caller: Caller) -> GitHubAccount:
        """The token's owner: not part of the world, so a stable made-up account."""
        viewer = self._viewers.get(caller.user_id)
        if viewer is None:
            when = datetime(2015, 1, 1, tzinfo=UTC)
            viewer = GitHubAccount(
                id=caller.user_id,
                login=f"scout-{caller.user_id}",
                type="User",
                name=None,
                company=None,
                blog=None,
                location=None,
                email=None,
                bio=None,
                twitter_username=None,
                hireable=None,
                followers=0,
                following=0,
                created_at=when,
                updated_at=when,
            )
            self._viewers[caller.user_id] = viewer
        return viewer


def _dry_run(operation: OperationDefinitionNode, variables: dict[str, Any]) -> bool:
    """`rateLimit(dryRun: true)`: GitHub prices the query without charging it."""
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.name.value != "rateLimit":
            continue
        for arg in selection.arguments or ():
            if arg.name.value != "dryRun":
                continue
            if isinstance(arg.value, BooleanValueNode) and arg.value.value:
                return True
            if isinstance(arg.value, VariableNode) and variables.get(arg.value.name.value):
                return True
    return False
