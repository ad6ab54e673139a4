"""Suite-wide settings.

Under CI (`.ci/run` exports CI=true) hypothesis draws the same examples on every run: a clean clone's
verdict must not depend on luck, and a property that fails there fails again when re-run. Run locally
(no CI variable) it explores afresh each time and keeps what it finds in `.hypothesis/`; long fuzzing
belongs in bench/.
"""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
