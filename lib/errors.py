"""The shared input-error type: per-field problems that the API answers as 400."""

import difflib


class InvalidInput(Exception):
    """Per-field problems: `errors` is a list of {"field", "code", "message"}."""

    def __init__(self, errors: list[dict], code: str = "validation_error"):
        self.errors = errors
        self.code = code
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))


def field_error(field: str, message: str, code: str = "invalid") -> dict:
    return {"field": field, "code": code, "message": message}


def did_you_mean(word: str, options) -> str:
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""
