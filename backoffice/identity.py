"""Moved to `portal.identity` so that intake can protect identifiers without importing the
back office (DESIGN.md). This alias keeps `from backoffice import identity` working until every
caller imports `portal.identity`.
"""

import sys

from portal import identity as _identity

sys.modules[__name__] = _identity
