"""The reading of a search query ``q`` that Coder's list routes share (coderd/searchquery/search.go ``searchTerms``
and coderd/httpapi/queryparams.go ``QueryParamParser``): the query lowercased, bare words joined under one key,
``key:value`` terms; a key the route does not know is refused ("... is not a valid query param", ErrorExcessParams),
as is a key given twice. The route turns the values into its filters and answers 400 with its own message when any
validation failed."""

from __future__ import annotations

from ..query import QueryError, QueryOptions, Validation, every_rule, query_terms, unquoted
from ..responses import ApiError


def search_terms(q: str, *, bare_words: str, keys: tuple[str, ...], message: str) -> tuple[dict[str, str],
                                                                                       list[Validation]]:
    """The non-empty value of each known key of ``q``, and the validations that failed so far; a q that does not
    parse is 400 ``message`` at once."""
    try:
        values = query_terms(q.lower(), QueryOptions(bare_words=bare_words), every_rule, unquoted)
    except QueryError as error:
        raise ApiError(400, message, validations=error.validations) from None
    errors: list[Validation] = []
    single: dict[str, str] = {}
    for key, found in values.items():
        if key not in keys:
            errors.append(Validation(key, f'"{key}" is not a valid query param'))
        elif len(found) > 1:
            errors.append(Validation(key, f'Query param "{key}" provided more than once, found {len(found)} times. '
                                          "Only provide 1 instance of this query param."))
        elif found[0]:
            single[key] = found[0]
    return single, errors


def parse_bool(key: str, value: str, errors: list[Validation]) -> bool | None:
    """Go's strconv.ParseBool of a term (httpapi ``Boolean``/``NullableBoolean``); None, with a validation, when it
    does not read."""
    if value in ("1", "t", "true"):  # q is lowercased before it is read
        return True
    if value in ("0", "f", "false"):
        return False
    errors.append(Validation(key, f'Query param "{key}" must be a valid boolean: strconv.ParseBool: parsing '
                                  f'"{value}": invalid syntax'))
    return None
