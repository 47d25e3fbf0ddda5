"""The dashboard's current workspace: the session's choice while the user is a member, else personal."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from accounts.middleware import SESSION_KEY, CurrentWorkspaceMiddleware, choose_workspace
from accounts.models import Membership, Workspace, personal_workspace
from conftest import make_user


def through_middleware(user, session):
    request = RequestFactory().get("/dashboard/")
    request.user, request.session = user, session
    seen = {}

    def view(request):
        seen["workspace"], seen["membership"] = request.workspace, request.membership
        return None

    CurrentWorkspaceMiddleware(view)(request)
    return seen


@pytest.fixture
def team(db):
    owner, member = make_user("owner@example.com"), make_user("member@example.com")
    workspace = Workspace.objects.create(name="Agency")
    Membership.objects.create(workspace=workspace, user=owner, role=Membership.Role.OWNER)
    membership = Membership.objects.create(workspace=workspace, user=member, role=Membership.Role.MEMBER)
    return member, workspace, membership


def test_a_signed_in_user_works_in_their_personal_workspace_by_default(team):
    member, _, _ = team
    seen = through_middleware(member, SessionStore())
    assert seen["workspace"].pk == personal_workspace(member).pk
    assert seen["membership"].role == Membership.Role.OWNER


def test_the_chosen_workspace_holds_while_the_user_is_a_member(team):
    member, workspace, membership = team
    session = SessionStore()
    request = RequestFactory().get("/")
    request.session = session
    choose_workspace(request, membership)
    seen = through_middleware(member, session)
    assert seen["workspace"].pk == workspace.pk
    assert seen["membership"].role == Membership.Role.MEMBER


def test_a_removed_member_is_back_in_their_personal_workspace_at_once(team):
    member, workspace, membership = team
    session = SessionStore()
    session[SESSION_KEY] = workspace.public_id
    membership.delete()
    seen = through_middleware(member, session)
    assert seen["workspace"].pk == personal_workspace(member).pk
    assert SESSION_KEY not in session


def test_a_workspace_the_user_never_joined_cannot_be_chosen_through_the_session(team):
    _, workspace, _ = team
    outsider = make_user("outsider@example.com")
    session = SessionStore()
    session[SESSION_KEY] = workspace.public_id
    seen = through_middleware(outsider, session)
    assert seen["workspace"].pk == personal_workspace(outsider).pk


def test_anonymous_requests_have_no_workspace(db):
    seen = through_middleware(AnonymousUser(), SessionStore())
    assert not seen["workspace"]
    assert not seen["membership"]
