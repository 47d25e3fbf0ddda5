"""Every failure under /api/ is a problem+json body, never HTML or a traceback."""

import pytest
from rest_framework.test import APIClient

from conftest import client_for

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"https://imagior.dev/problems/{code}"
    assert body["title"] and body["detail"]
    assert body["request_id"] == response["X-Request-Id"] and body["request_id"].startswith("req_")
    return body


@pytest.mark.django_db
def test_no_key_is_401_authentication_required_with_www_authenticate():
    response = APIClient().get("/api/v1/templates")
    assert_problem(response, 401, "authentication_required")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer imk_live_" + "a" * 38])
def test_malformed_and_unknown_keys_are_401_with_one_message(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    body = assert_problem(client.get("/api/v1/templates"), 401, "invalid_api_key")
    assert body["detail"] == "The API key is not valid."


def test_a_revoked_key_gets_the_same_answer_as_an_unknown_one(alice_key):
    key, raw = alice_key
    key.revoke()
    response = client_for(raw).get("/api/v1/account")
    body = assert_problem(response, 401, "invalid_api_key")
    assert body["detail"] == "The API key is not valid."
    assert "WWW-Authenticate" in response


def test_an_unknown_api_path_is_a_problem_404(api):
    assert_problem(api.get("/api/v1/nothing-here"), 404, "not_found")
    assert_problem(APIClient().post("/api/v2/images", {}, format="json"), 404, "not_found")


def test_a_wrong_method_is_405(api):
    assert_problem(api.patch("/api/v1/images", {}, format="json"), 405, "method_not_allowed")


def test_malformed_json_is_400_invalid_json(api):
    response = api.post("/api/v1/templates", data='{"name": ', content_type="application/json")
    assert_problem(response, 400, "invalid_json")
    response = api.post("/api/v1/templates", data="name=x", content_type="application/x-www-form-urlencoded")
    assert_problem(response, 400, "invalid_json")


def test_a_body_over_one_megabyte_is_413(api):
    huge = '{"name": "' + "x" * (1024 * 1024 + 10) + '"}'
    assert_problem(api.post("/api/v1/templates", data=huge, content_type="application/json"), 413, "payload_too_large")


def test_an_unhandled_error_is_a_500_problem_without_a_traceback(api, monkeypatch):
    from templates_app import services

    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services, "create_template", explode)
    response = api.post("/api/v1/templates", {"width": 10, "height": 10}, format="json")
    body = assert_problem(response, 500, "internal_error")
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["detail"] == "Something went wrong on our side."


def test_every_response_has_a_request_id(api):
    ok = api.get("/api/v1/templates")
    assert ok.status_code == 200 and ok["X-Request-Id"].startswith("req_")


def test_options_lists_the_methods_of_a_path(api):
    template = api.post("/api/v1/templates", {"width": 10, "height": 10}, format="json").json()
    for path in ("/api/v1/templates", f"/api/v1/templates/{template['id']}", "/api/v1/images/img_nope/edit"):
        response = api.options(path)
        assert response.status_code == 200, path
        assert set(response.json()["methods"]) == set(response["Allow"].split(", ")), path
