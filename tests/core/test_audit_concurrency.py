"""Eight writers at once (battery T6, K11): every business write gets its audit record, the chain stays whole
and gapless, and SQLite never answers "database is locked"."""

import threading

import pytest
from django.db import connections

from dangjian.core import audit
from dangjian.core.models import AuditRecord
from dangjian.members import actions as member_actions
from dangjian.members.models import Member
from factories import member_data

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS, EACH = 8, 6


def test_concurrent_audited_writes_keep_the_chain_whole(world):
    records_before, members_before = AuditRecord.objects.count(), Member.objects.count()
    datas = [[member_data() for _ in range(EACH)] for _ in range(WRITERS)]
    errors = []
    barrier = threading.Barrier(WRITERS)

    def writer(batch):
        try:
            barrier.wait()
            for data in batch:
                member_actions.do_create_member(data=data, org=world.br1, actor=world.secretary)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(batch,)) for batch in datas]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert Member.objects.count() == members_before + WRITERS * EACH
    assert AuditRecord.objects.count() == records_before + WRITERS * EACH
    seqs = list(AuditRecord.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    result = audit.verify()
    assert result.ok and result.checked == len(seqs)
