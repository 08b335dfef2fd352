"""The service behind a person's own page of API tokens: they see and revoke their own, only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from firebell.auth.service import create_token, list_tokens, revoke_own_token
from firebell.errors import NotFound
from firebell.org.models import User
from tests.web.conftest import Web


def test_a_person_lists_and_revokes_only_their_own_tokens(web: Web) -> None:
    now = web.clock()
    with web.db.unit_of_work() as session:
        alice = session.execute(select(User.id).where(User.name == "alice")).scalar_one()
        mine = create_token(session, user_name="alice", role="viewer", name="laptop", now=now)
        bobs = create_token(session, user_name="bob", role="viewer", name="bob's", now=now)
    with web.db.unit_of_work(write=False) as session:
        listed = list_tokens(session, user_id=alice, now=now)
    assert [t.name for t in listed] == ["laptop", "test"]  # newest first; conftest's API token too
    assert listed[0].prefix == mine.token[:10] and not hasattr(listed[0], "token")  # never the token itself
    with web.db.unit_of_work() as session, pytest.raises(NotFound):
        revoke_own_token(session, user_id=alice, token_id=bobs.id, now=now, actor="alice via web")
    with web.db.unit_of_work() as session:
        revoke_own_token(session, user_id=alice, token_id=mine.id, now=now, actor="alice via web")
    with web.db.unit_of_work(write=False) as session:
        assert [t.name for t in list_tokens(session, user_id=alice, now=now)] == ["test"]
