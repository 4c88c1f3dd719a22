"""hypothesis-jsonschema 0.23 (used by Schemathesis 3.x) drives Hypothesis' private
``many`` helper with the old ``while elements.more():`` protocol, which newer
Hypothesis releases replaced by ``with many(...) as elements: for _ in elements:``.
This adapter offers the old protocol on top of the new one, for the schema tests
only (nothing else in the project touches Hypothesis internals)."""

from __future__ import annotations

import types

from hypothesis.internal.conjecture import utils as conjecture_utils


class _ManyWithMore:
    def __init__(self, data, min_size, max_size, average_size, **kwargs):
        self._many = conjecture_utils.many(data, min_size=min_size, max_size=max_size,
                                           average_size=average_size, **kwargs)
        self._many.__enter__()
        self._elements = iter(self._many)

    def more(self) -> bool:
        try:
            next(self._elements)
            return True
        except StopIteration:
            self._many.__exit__(None, None, None)
            return False

    def reject(self, why: str | None = None) -> None:
        self._many.reject(why)


def install() -> None:
    from hypothesis_jsonschema import _from_schema

    if hasattr(conjecture_utils.many, "more") or isinstance(_from_schema.cu, types.SimpleNamespace):
        return  # an old Hypothesis, or already installed
    shim = types.SimpleNamespace(**{name: getattr(conjecture_utils, name)
                                    for name in dir(conjecture_utils) if not name.startswith("__")})
    shim.many = _ManyWithMore
    _from_schema.cu = shim
