"""Django's test client on the real database, for page tests that need no browser.

``test_environment`` (a module fixture) turns on Django's test instrumentation so responses carry
their template context, and ``client_for`` signs an operator in without the password round trip.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.test.utils import setup_test_environment, teardown_test_environment


@pytest.fixture(scope="module", autouse=True)
def test_environment() -> Iterator[None]:
    try:
        setup_test_environment()
    except RuntimeError:  # already set up by another module of the session
        yield
        return
    yield
    teardown_test_environment()


def client_for(user: Any, *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks, HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client
