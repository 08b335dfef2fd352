"""Group commit: many requests' writes share one transaction, yet each request is answered only for
its own work, after the commit, and one failing request costs no other its write."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firebell.org.models import Team
from firebell.store.batch import GroupCommit
from firebell.store.uow import Database


def _add_team(name: str) -> object:
    def work(session: Session) -> str:
        session.add(Team(name=name, description=""))
        session.flush()
        return name
    return work


def _bad(session: Session) -> str:
    session.add(Team(name="half-written", description=""))
    session.flush()
    raise ValueError("this request's payload is wrong")


def _teams(db: Database) -> set[str]:
    with db.unit_of_work(write=False) as session:
        return set(session.execute(select(Team.name)).scalars())


async def _submit_all(group: GroupCommit, works: list[object]) -> list[object]:
    return await asyncio.gather(*(group.run(w) for w in works), return_exceptions=True)  # type: ignore[arg-type]


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "writer-thread"])
def test_concurrent_requests_share_transactions_and_each_gets_its_own_answer(database: Database, inline: bool) -> None:
    group = GroupCommit(database, inline=inline)
    try:
        names = [f"team-{i}" for i in range(40)]
        results = asyncio.run(_submit_all(group, [_add_team(n) for n in names]))
    finally:
        group.close()
    assert results == names
    assert _teams(database) >= set(names)
    assert group.batches < len(names), "no two requests shared a commit"


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "writer-thread"])
def test_a_failing_request_costs_no_other_its_write_and_leaves_nothing_behind(database: Database,
                                                                             inline: bool) -> None:
    group = GroupCommit(database, inline=inline)
    try:
        results = asyncio.run(_submit_all(group, [_add_team("before"), _bad, _add_team("after")]))
    finally:
        group.close()
    assert results[0] == "before" and results[2] == "after"
    assert isinstance(results[1], ValueError) and "payload is wrong" in str(results[1])
    teams = _teams(database)
    assert {"before", "after"} <= teams
    assert "half-written" not in teams


def test_an_answer_comes_only_after_the_commit(database: Database) -> None:
    group = GroupCommit(database, inline=False)
    seen: list[int] = []

    async def scenario() -> None:
        await group.run(_add_team("committed-first"))
        # The moment we hear back, another connection sees the row.
        with database.unit_of_work(write=False) as session:
            seen.append(session.execute(select(func.count()).select_from(Team)
                                        .where(Team.name == "committed-first")).scalar_one())

    try:
        asyncio.run(scenario())
    finally:
        group.close()
    assert seen == [1]


@pytest.mark.parametrize("spare", [True, False], ids=["with-spare", "without-spare"])
def test_a_batch_stuck_on_a_lock_does_not_stop_the_requests_behind_it(database: Database, spare: bool) -> None:
    """A person's transaction holds a lock a batch needs: with the spare writer, the next requests
    are still written and answered meanwhile; the stuck one finishes once the lock is free."""
    if database.dialect != "postgresql":
        pytest.skip("SQLite batches run inline on the event loop; there is no writer thread to stall")
    from sqlalchemy import text

    def stuck(session: Session) -> str:
        session.execute(text("SELECT pg_advisory_xact_lock(4242)"))
        session.add(Team(name="waited-for-the-lock", description=""))
        return "stuck"

    group = GroupCommit(database, inline=False, spare=spare, spare_after_s=0.05)
    holder = database.engine.connect()
    holder.execute(text("SELECT pg_advisory_lock(4242)"))  # what a person's long transaction would hold

    async def scenario() -> tuple[bool, list[object]]:
        first = asyncio.ensure_future(group.run(stuck))
        await asyncio.sleep(0.2)  # the writer is now waiting on the lock
        behind = asyncio.gather(*(group.run(_add_team(f"behind-{i}")) for i in range(3)))
        done, _ = await asyncio.wait({behind}, timeout=3)
        answered_while_stuck = bool(done) and not first.done()
        holder.execute(text("SELECT pg_advisory_unlock(4242)"))
        return answered_while_stuck, [await first, *(await behind)]

    try:
        answered_while_stuck, results = asyncio.run(scenario())
    finally:
        holder.close()
        group.close()
    assert results == ["stuck", "behind-0", "behind-1", "behind-2"]
    assert {"waited-for-the-lock", "behind-0", "behind-2"} <= _teams(database)
    assert answered_while_stuck is spare
    assert (group.spare_batches > 0) is spare


def test_a_closed_group_commit_starts_again_when_work_arrives(database: Database) -> None:
    group = GroupCommit(database, inline=False)
    try:
        assert asyncio.run(group.run(_add_team("before-close"))) == "before-close"
        group.close()
        assert asyncio.run(asyncio.wait_for(group.run(_add_team("after-close")), timeout=10)) == "after-close"
    finally:
        group.close()
    assert {"before-close", "after-close"} <= _teams(database)
