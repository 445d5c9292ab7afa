"""Factories and personas for tests (a pytest plugin loaded by the root conftest).

Every test module can start from the same small world (CONVENTIONS, healthchecks style):

* GHT ``GHT-A`` → EJ ``EJ-A`` → establishments ``ET-A1`` and ``ET-A2``; GHT ``GHT-B`` → ``EJ-B``
  → ``ET-B1``;
* ``owner``: editor of ET-A1; ``member``: viewer of ET-A1; ``outsider``: editor of ET-A2;
  ``stranger``: admin of GHT-B; ``ght_admin``: admin of GHT-A.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

_seq = itertools.count(1)


def make_org(*, kind: str, code: str, parent=None, name: str | None = None, weight=100):
    from pcra.organizations.finess import with_check_digit
    from pcra.organizations.services import organization_create

    finess = "" if kind == "GHT" else with_check_digit(f"{75 + next(_seq) % 20:02d}{next(_seq):06d}")
    return organization_create(code=code, name=name or f"Org {code}", kind=kind, parent=parent,
                               finess=finess, activity_weight=weight)


def make_user(username: str, memberships=()):
    from pcra.accounts.models import Membership, User

    user = User.objects.create_user(username=username, password="correct horse battery 42")
    for org, role in memberships:
        Membership.objects.create(user=user, organization=org, role=role)
    return user


def make_node(*, org, node_type: str, code: str, **fields):
    from pcra.inventory.services import node_create

    defaults = {"name": f"Node {code}"}
    if node_type == "activity":
        defaults["activity_kind"] = "soins"
    if node_type == "component":
        defaults["component_kind"] = "serveur"
    defaults.update(fields)
    top = org if org.root_id is None else org.root
    organization = None if org.root_id is None and node_type != "activity" else org
    return node_create(top=top, node_type=node_type, code=code, organization=organization,
                       **defaults)


def make_edge(source, target, autonomy=None, group=""):
    from pcra.inventory.services import dependency_create

    return dependency_create(source=source, target=target, degraded_autonomy_hours=autonomy,
                             redundancy_group=group)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``engine_only`` or ``no_db`` use no database: `make test` runs the suite once
    per database, so they run in the SQLite half only (PCRA_DATABASE_URL set = the PostgreSQL
    half)."""
    import os

    if not os.environ.get("PCRA_DATABASE_URL", "").startswith("postgres"):
        return
    kept, dropped = [], []
    for item in items:
        no_db = item.get_closest_marker("engine_only") or item.get_closest_marker("no_db")
        (dropped if no_db else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Password hashing is deliberately slow; tests do not need that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_side_effects(settings, tmp_path_factory):
    """Background jobs run inline (CONVENTIONS 9), mail stays in memory and secrets use a key
    file of the test session, never the installation's."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PCRA_SECRETS_KEY_FILE = str(tmp_path_factory.getbasetemp() / "keys" / "secrets.key")


@pytest.fixture
def live_db(transactional_db):
    """A transactional database (for the live server) whose audit triggers are lifted only
    for the flush that empties it after the test."""
    from django.db import connection

    from pcra.core import dbtriggers

    dbtriggers.install(connection)
    yield
    if connection.vendor == "sqlite":
        dbtriggers.remove(connection)


@pytest.fixture
def english():
    """Messages in English, whatever the default language, for tests that compare them."""
    from django.utils import translation

    with translation.override("en"):
        yield


@dataclass
class World:
    ght_a: object
    ej_a: object
    et_a1: object
    et_a2: object
    ght_b: object
    ej_b: object
    et_b1: object
    owner: object
    member: object
    outsider: object
    stranger: object
    ght_admin: object


@pytest.fixture
def world(db) -> World:
    ght_a = make_org(kind="GHT", code="GHT-A")
    ej_a = make_org(kind="EJ", code="EJ-A", parent=ght_a)
    et_a1 = make_org(kind="ET", code="ET-A1", parent=ej_a)
    et_a2 = make_org(kind="ET", code="ET-A2", parent=ej_a)
    ght_b = make_org(kind="GHT", code="GHT-B")
    ej_b = make_org(kind="EJ", code="EJ-B", parent=ght_b)
    et_b1 = make_org(kind="ET", code="ET-B1", parent=ej_b)
    return World(
        ght_a=ght_a, ej_a=ej_a, et_a1=et_a1, et_a2=et_a2, ght_b=ght_b, ej_b=ej_b, et_b1=et_b1,
        owner=make_user("owner", [(et_a1, "editor")]),
        member=make_user("member", [(et_a1, "viewer")]),
        outsider=make_user("outsider", [(et_a2, "editor")]),
        stranger=make_user("stranger", [(ght_b, "admin")]),
        ght_admin=make_user("ghtadmin", [(ght_a, "admin")]),
    )
