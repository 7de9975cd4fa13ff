"""The errors every operation can answer, added to the OpenAPI schema (drf-spectacular documents
only the successful responses by itself)."""

ERROR = {
    "type": "object",
    "description": "An error: `detail` says what went wrong.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "description": (
        "The request was refused and nothing was written. A message per field: "
        '{"field": ["message", ...], "non_field_errors": ["message"]}; for a list of objects, '
        "a list of such objects in the order sent."
    ),
    "oneOf": [
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {"type": "object", "additionalProperties": True}},
    ],
}


def _response(description, ref):
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: 400, 401, 403, 404 and 429 on every operation, except where the
    operation says otherwise."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR
    schemas["ValidationError"] = VALIDATION_ERROR
    error, invalid = "#/components/schemas/Error", "#/components/schemas/ValidationError"
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            public_operation = operation.get("security") == [] or path.endswith("/auth/token/")
            defaults = {
                "400": _response("Invalid input, filter or page size.", invalid),
                "401": _response("No credentials, or a token that is wrong, revoked or expired.", error),
                "403": _response("Your role may not do this.", error),
                "404": _response("No such object, or not one you may see; or no such page.", error),
                "429": _response("Too many requests: wait as many seconds as Retry-After says.", error),
            }
            if public_operation:
                del defaults["401"], defaults["403"], defaults["404"]
            for code, response in defaults.items():
                if code in responses and "content" not in responses[code]:
                    responses[code]["content"] = response["content"]
                responses.setdefault(code, response)
            if method == "delete":
                responses.setdefault(
                    "409", _response("Other records depend on this object; it was not deleted.", error)
                )
    return result
