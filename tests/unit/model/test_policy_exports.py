"""`twinhub.model.policy` is one public surface over its modules."""

from __future__ import annotations

import importlib
import pkgutil

import twinhub.model.policy


def test_every_exported_name_exists_and_is_listed_once() -> None:
    names = twinhub.model.policy.__all__
    assert len(set(names)) == len(names)
    assert all(hasattr(twinhub.model.policy, name) for name in names)


def test_the_public_functions_of_every_module_are_exported() -> None:
    exported = set(twinhub.model.policy.__all__)
    for module_info in pkgutil.iter_modules(twinhub.model.policy.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"twinhub.model.policy.{module_info.name}")
        public = {name for name, value in vars(module).items()
                  if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__}
        assert public <= exported, (module.__name__, public - exported)
