import pytest

from tests.factories import ContractFactory
from turnaround.tasks import check_services

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_real_worker_runs_a_task_against_the_test_database(celery_worker):
    ContractFactory()
    result = check_services.delay()
    answer = result.get(timeout=30)
    assert answer["contracts"] == 1
    assert answer["database"] in ("postgresql", "sqlite")
