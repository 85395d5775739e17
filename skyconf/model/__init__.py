"""The tenant format: pydantic models, and the declaration of every kind and section next to them.

Importing this package imports each of its modules, so every kind and section is registered (see
`skyconf.model.kinds`) before anything asks for them: a new kind's module needs no list entry.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
