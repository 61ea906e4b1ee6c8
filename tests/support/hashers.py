"""A password hasher for tests: Django's PBKDF2 with few iterations.

The hashes it writes are ordinary ``pbkdf2_sha256`` hashes (the iteration count is stored in
each), so the web server and worker processes that tests start, which use the production
hashers, still verify them.
"""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FewIterationsPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1000
