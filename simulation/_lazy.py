"""Names of a package that load their module on first use (PEP 562).

`import simulation` and the `microgov` command's quick paths stay light this way: a
package lists which module defines each public name, and the module is imported only
when the name is first read (`from simulation.experiment import compare`).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], also: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `package`, whose names `exports` maps to modules.

    `also`: names the package defines itself, listed by `dir()` with the exports.
    """
    listed = sorted({*exports, *also})

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module '{package}' has no attribute '{name}'")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later reads skip this function
        return value

    def __dir__() -> list[str]:
        return listed

    return __getattr__, __dir__
