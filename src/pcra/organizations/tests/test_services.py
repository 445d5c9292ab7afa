import pytest
from django.core.exceptions import ValidationError

from pcra.core.testing import make_node, make_org
from pcra.organizations.models import Organization
from pcra.organizations.services import (
    organization_create,
    organization_delete,
    organization_update,
)

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.django_db
def test_hierarchy_rules_and_finess():
    ght = make_org(kind="GHT", code="G")
    ej = organization_create(code="EJ", name="EJ", kind="EJ", parent=ght, finess="750712184")
    assert ej.root_id == ght.pk and ej.top_id == ght.pk
    with pytest.raises(ValidationError) as exc:
        organization_create(code="ET", name="ET", kind="ET", parent=ght, finess="590780193")
    assert "parent" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        organization_create(code="ET", name="ET", kind="ET", parent=ej, finess="590780194")
    assert exc.value.message_dict["finess"] == [
        "FINESS number '590780194' has a wrong check digit"]
    with pytest.raises(ValidationError, match="already used"):
        organization_create(code="ET", name="ET", kind="ET", parent=ej, finess="750712184")
    et = organization_create(code="ET", name="ET", kind="ET", parent=ej, finess="590780193")
    assert et.root_id == ght.pk


@pytest.mark.django_db
def test_moving_an_ej_into_a_ght_updates_its_establishments():
    ej = make_org(kind="EJ", code="EJ")
    et = make_org(kind="ET", code="ET", parent=ej)
    assert et.root_id == ej.pk
    ght = make_org(kind="GHT", code="G")
    organization_update(organization=ej, parent=ght)
    et.refresh_from_db()
    assert et.root_id == ght.pk


@pytest.mark.django_db
def test_an_organization_with_children_or_nodes_cannot_be_deleted():
    ght = make_org(kind="GHT", code="G")
    ej = make_org(kind="EJ", code="EJ", parent=ght)
    et = make_org(kind="ET", code="ET", parent=ej)
    make_node(org=et, node_type="activity", code="URG")
    with pytest.raises(ValidationError, match="below it"):
        organization_delete(organization=ej)
    with pytest.raises(ValidationError, match="owns"):
        organization_delete(organization=et)
    assert Organization.objects.count() == 3
