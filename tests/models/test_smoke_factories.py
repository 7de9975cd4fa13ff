import pytest

from tests.factories import ContractFactory


@pytest.mark.django_db
def test_an_active_contract_has_its_schools_in_force_and_its_template_rows():
    contract = ContractFactory(lifecycle_status="active")
    assert contract.lifecycle_status == "active"
    assert contract.school_links.filter(in_force=True).count() == 3
    assert contract.autonomies.count() == 15
    assert contract.responsibilities.filter(owner="undecided").count() == 4
    assert [c.to_status for c in contract.status_changes.all()] == ["draft", "pre_launch", "active"]
