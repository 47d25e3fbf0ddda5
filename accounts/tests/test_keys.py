import pytest

from accounts import keys
from accounts.models import ApiKey


def test_generated_keys_have_the_spec_format_and_a_valid_checksum():
    live, test = keys.generate_key("live"), keys.generate_key("test")
    assert live.startswith("imk_live_") and test.startswith("imk_test_")
    assert len(live.removeprefix("imk_live_")) >= 32
    assert keys.parse_key(live) == "live"
    assert keys.parse_key(test) == "test"


def test_a_mistyped_key_fails_its_checksum():
    key = keys.generate_key("live")
    flipped = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert keys.parse_key(flipped) is None
    assert keys.parse_key(key[:-1]) is None
    assert keys.parse_key("imk_prod_" + key[9:]) is None


@pytest.mark.django_db
def test_only_a_hash_and_a_short_prefix_are_stored(alice):
    key, raw = ApiKey.issue(alice, name="ci")
    key.refresh_from_db()
    stored = [str(getattr(key, f.attname)) for f in key._meta.fields]
    assert raw not in stored
    assert key.key_hash == keys.hash_key(raw)
    assert raw.startswith(key.prefix) and len(key.prefix) < 16
    assert key.public_id.startswith("key_")


@pytest.mark.django_db
def test_find_active_refuses_revoked_keys(alice):
    key, raw = ApiKey.issue(alice)
    assert ApiKey.objects.find_active(raw) == key
    key.revoke()
    assert ApiKey.objects.find_active(raw) is None


@pytest.mark.django_db
def test_last_used_is_written_at_most_once_per_resolution(alice, django_assert_num_queries):
    key, _ = ApiKey.issue(alice)
    with django_assert_num_queries(1):
        key.touch()
    first = key.last_used_at
    with django_assert_num_queries(0):
        key.touch()
    key.refresh_from_db()
    assert key.last_used_at == first


@pytest.mark.django_db
def test_whitelists_are_validated(alice):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        ApiKey.issue(alice, allowed_ips=["10.0.0.0/33"])
    with pytest.raises(ValidationError):
        ApiKey.issue(alice, allowed_domains=["https://example.com/x"])
    key, _ = ApiKey.issue(alice, allowed_ips=["203.0.113.0/24", "2001:db8::1"], allowed_domains=["Shop.Example.com"])
    assert key.allowed_domains == ["shop.example.com"]
