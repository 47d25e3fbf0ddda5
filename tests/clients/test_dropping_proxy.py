"""The proxy the clients' retry tests stand on really drops answers after the work is done."""

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_the_proxy_drops_the_answer_but_the_server_did_the_work(demo, dropping_proxy):
    before = demo.balance()
    dropping_proxy.drop(1)
    body = {"template": demo.template, "modifications": {"title": "dropped"}}
    session = demo.server.session(demo.live_key)
    with pytest.raises(requests.ConnectionError):
        session.post(f"{dropping_proxy.url}/api/v1/images", json=body, timeout=60)
    assert demo.balance() == before - 1
    answer = session.get(f"{dropping_proxy.url}/api/v1/account", timeout=30)
    assert answer.status_code == 200
    assert [s["dropped"] for s in dropping_proxy.seen] == [True, False]
