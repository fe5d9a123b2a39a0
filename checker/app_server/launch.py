"""burstcheck's server entry: run by its path inside the app's own interpreter, never imported there.

    APP_PYTHON /.../checker/app_server/launch.py SPEC_JSON

Running a file puts its folder first on sys.path; this takes it off again and loads the folder as a package
under a private name, so that no module of the app shadows burstcheck's (a `timing.py` of the app's own) and
none of burstcheck's shadows the app's. Started only by checker.run.server, which owns the process.
"""

import importlib
import importlib.util
import os
import sys

PRIVATE_NAME = "_burstcheck_app_server"


def _load() -> object:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [path for path in sys.path if os.path.abspath(path or os.curdir) != here]
    spec = importlib.util.spec_from_file_location(
        PRIVATE_NAME, os.path.join(here, "__init__.py"), submodule_search_locations=[here]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[PRIVATE_NAME] = package
    spec.loader.exec_module(package)
    return importlib.import_module(f"{PRIVATE_NAME}.main")


if __name__ == "__main__":
    sys.exit(_load().main(sys.argv))  # type: ignore[attr-defined]
