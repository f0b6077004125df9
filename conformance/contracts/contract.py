"""The contracts: one OpenAPI document per generation (profiles.py), loaded once each, validating bodies against
their schemas (compiled once, formats checked)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from conformance.contracts.profiles import PROFILES

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    responses: dict[str, Any]

    def documented_statuses(self) -> set[int]:
        return {int(code) for code in self.responses if code.isdigit()}


def openapi_path(profile: str = "experimental") -> Path:
    """Where a profile's packaged OpenAPI document is."""
    return Path(str(resources.files("conformance.contracts") / PROFILES[profile].openapi))


class Contract:
    """The OpenAPI document with schema validation."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
        self.operations: dict[str, Operation] = {}
        for path, item in document.get("paths", {}).items():
            for method, op in item.items():
                if method in HTTP_METHODS:
                    self.operations[op["operationId"]] = Operation(
                        op["operationId"], method.upper(), path, op.get("responses", {})
                    )

    @classmethod
    def load(cls, path: Path | None = None) -> Contract:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: a tenth of the time, every run pays it
        return cls(yaml.load((path or openapi_path()).read_text(encoding="utf-8"), Loader=loader))  # noqa: S506

    @functools.cache  # noqa: B019 - one Contract per process, validators compiled once
    def _validator(self, schema_name: str) -> Any:
        if schema_name not in self.schemas:
            raise KeyError(f"no schema {schema_name!r} in the contract")
        wrapper = {"$ref": f"#/components/schemas/{schema_name}", "components": self.document["components"]}
        return jsonschema_rs.validator_for(wrapper, validate_formats=True)

    def errors(self, schema_name: str, instance: Any, limit: int = 5) -> list[str]:
        """Plain-words schema violations of `instance`, at most `limit`; time and memory linear in the instance.

        The validator's own error collection is not: it gathers every violation of the whole instance (a list of a
        million empty objects has twenty million), each with a copy of the part it concerns. So the first
        violation comes from a validation that stops at it, and the others from a copy of the instance whose arrays
        are cut to their first few items."""
        validator = self._validator(schema_name)
        try:
            validator.validate(instance)
            return []
        except jsonschema_rs.ValidationError as first:
            found = [_describe(first)]
        try:
            more = validator.iter_errors(_pruned(instance))
        except ValueError:  # e.g. a lone surrogate in a string
            return found
        for error in more:
            text = _describe(error)
            if text not in found:
                found.append(text)
            if len(found) >= limit:
                break
        return found

    def response(self, operation_id: str, status: int) -> dict[str, Any] | None:
        """The documented response of an operation for a status ($ref resolved), or None when undocumented."""
        response = self.operations[operation_id].responses.get(str(status))
        if response is not None and "$ref" in response:
            response = self._resolve(response["$ref"])
        return response

    def response_schema_name(self, operation_id: str, status: int) -> str | None:
        """The component schema name documented for an operation's response, if it has a JSON body."""
        response = self.response(operation_id, status)
        if response is None:
            return None
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if not schema:
            return None
        ref = schema.get("$ref", "")
        return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None

    def _resolve(self, ref: str) -> Any:
        node: Any = self.document
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node


_PRUNED_ITEMS = 3  # items of each array kept when looking for further violations


def _pruned(value: Any) -> Any:
    """The value with every array cut to its first few items (objects and scalars as they are)."""
    if isinstance(value, list):
        return [_pruned(item) for item in value[:_PRUNED_ITEMS]]
    if isinstance(value, dict):
        return {key: _pruned(item) for key, item in value.items()}
    return value


def _describe(error: Any) -> str:
    where = "/" + "/".join(str(p) for p in error.instance_path)
    return f"at {where}: {error.message}"


@functools.cache
def contract_for(profile: str) -> Contract:
    """A profile's OpenAPI document, loaded (and its validators compiled) once."""
    return Contract.load(openapi_path(profile))
