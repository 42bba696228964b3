"""The small tables every report reads, kept in memory: read once, dropped when they change."""

from __future__ import annotations

from sqlalchemy import delete, select

from app.models import Company, CompanyDomain, Role
from app.security import hash_api_key
from app.services import reference_cache
from tests.factories import auth_headers, make_user


def counting_cache() -> tuple[reference_cache.Cached[tuple[str, ...]], list[int]]:
    loads: list[int] = []

    def load(session):  # type: ignore[no-untyped-def]
        loads.append(1)
        return tuple(session.execute(select(CompanyDomain.domain).order_by(CompanyDomain.domain)).scalars())

    return reference_cache.Cached(load, (CompanyDomain,)), loads


def add_company(db, name: str, domain: str) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        company = Company(name=name, api_key_hash=hash_api_key(f"csk_{name}"), api_key_prefix="csk_test")
        session.add(company)
        session.flush()
        session.add(CompanyDomain(company_id=company.id, domain=domain))


def company_id(session) -> int:  # type: ignore[no-untyped-def]
    return session.execute(select(Company.id)).scalars().first()


def test_a_value_is_read_once_then_kept(db) -> None:  # type: ignore[no-untyped-def]
    cache, loads = counting_cache()
    for _ in range(3):
        with db.session() as session:
            assert cache.get(session) == ()
    assert len(loads) == 1


def test_a_committed_change_drops_it_and_a_rolled_back_one_does_not(db) -> None:  # type: ignore[no-untyped-def]
    cache, loads = counting_cache()
    with db.session() as session:
        cache.get(session)
    add_company(db, "Wild Market", "wildmarket.co.uk")
    with db.session() as session:
        assert cache.get(session) == ("wildmarket.co.uk",)
    assert len(loads) == 2

    with db.session(write=True) as session:
        session.add(CompanyDomain(company_id=company_id(session), domain="never.example"))
        session.flush()
        session.rollback()
    with db.session() as session:
        assert cache.get(session) == ("wildmarket.co.uk",)
    assert len(loads) == 2


def test_a_bulk_delete_through_the_session_drops_it(db) -> None:  # type: ignore[no-untyped-def]
    add_company(db, "Wild Market", "wildmarket.co.uk")
    cache, _loads = counting_cache()
    with db.session() as session:
        assert cache.get(session) == ("wildmarket.co.uk",)
    with db.transaction() as session:
        session.execute(delete(CompanyDomain))  # as an admin replacing a company's domains does
    with db.session() as session:
        assert cache.get(session) == ()


def test_the_changing_transaction_reads_its_own_change_without_keeping_it(db) -> None:  # type: ignore[no-untyped-def]
    add_company(db, "Wild Market", "wildmarket.co.uk")
    cache, loads = counting_cache()
    with db.session() as session:
        cache.get(session)
    with db.session(write=True) as session:
        session.add(CompanyDomain(company_id=company_id(session), domain="another.example"))
        assert cache.get(session) == ("another.example", "wildmarket.co.uk")  # its own view
        with db.session() as other:
            assert cache.get(other) == ("wildmarket.co.uk",)  # everybody else's, still kept
        session.rollback()
    assert len(loads) == 2


def test_a_kept_value_is_read_again_after_a_while(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cache, loads = counting_cache()
    clock = [1000.0]
    monkeypatch.setattr(reference_cache.time, "monotonic", lambda: clock[0])
    with db.session() as session:
        cache.get(session)
        clock[0] += reference_cache.KEEP_SECONDS - 1
        cache.get(session)
        assert len(loads) == 1
        clock[0] += 2  # another process may have changed it: read again
        cache.get(session)
    assert len(loads) == 2


def test_a_domain_an_admin_registers_is_recognised_by_the_next_report(client, db) -> None:  # type: ignore[no-untyped-def]
    volunteer = auth_headers(client, make_user(db, certified=True))
    admin = auth_headers(client, make_user(db, role=Role.admin))
    before = client.post("/api/v1/reports", headers=volunteer,
                         json={"listing_url": "https://wildmarket.co.uk/item/1001", "species_id": "panthera-tigris"})
    assert before.status_code == 201 and before.json()["platform"] is None  # an unknown domain, and now kept
    created = client.post("/api/v1/admin/companies", headers=admin,
                          json={"name": "Wild Market", "domains": ["wildmarket.co.uk"]})
    assert created.status_code == 201, created.text
    after = client.post("/api/v1/reports", headers=volunteer,
                        json={"listing_url": "https://wildmarket.co.uk/item/1002", "species_id": "panthera-tigris"})
    assert after.status_code == 201
    assert after.json()["platform"] == f"company-{created.json()['id']}"
    assert after.json()["platform_name"] == "Wild Market"
