from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiKey


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_create_api_key_prints_the_full_key_alone_on_the_last_line(alice):
    output = run("create_api_key", alice.email, "--name", "CI")
    raw = output.strip().splitlines()[-1]
    key = ApiKey.objects.find_active(raw)
    assert key is not None and key.user == alice and key.mode == "live" and key.name == "CI"


@pytest.mark.django_db
def test_create_api_key_test_mode_and_whitelists(alice):
    output = run(
        "create_api_key",
        alice.email,
        "--test",
        "--allowed-ips",
        "203.0.113.0/24, 198.51.100.7",
        "--allowed-domains",
        "example.com",
    )
    raw = output.strip().splitlines()[-1]
    assert raw.startswith("imk_test_")
    key = ApiKey.objects.find_active(raw)
    assert key.allowed_ips == ["203.0.113.0/24", "198.51.100.7"]
    assert key.allowed_domains == ["example.com"]


@pytest.mark.django_db
def test_create_api_key_refuses_unknown_accounts_and_bad_ranges(alice):
    with pytest.raises(CommandError, match="No account"):
        run("create_api_key", "nobody@example.com")
    with pytest.raises(CommandError, match="not an IP"):
        run("create_api_key", alice.email, "--allowed-ips", "300.1.1.1")
    assert not ApiKey.objects.exists()
