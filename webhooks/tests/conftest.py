"""Fixtures of the webhook tests: a real HTTP receiver on loopback."""

import pytest

from webhooks.tests.receiver import start_receiver


@pytest.fixture
def receiver(settings):
    settings.ALLOW_PRIVATE_FETCH = True  # the receiver listens on loopback
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
