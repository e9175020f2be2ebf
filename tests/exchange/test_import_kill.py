"""A process killed anywhere in an import resumes to exactly the end state of a clean import."""
from __future__ import annotations

import datetime as dt
import random
import signal
import time

import pytest

import processes
from dangjian.core import audit
from dangjian.core.models import AuditRecord
from dangjian.exchange.models import ImportJob
from dangjian.members.models import Member
from dangjian.members.search import id_number_index

from .conftest import Ids, xlsx

ROWS = 3000
CHUNK = 50


def cli(args, settings, tmp_path):
    return processes.dangjian(["import", *args], settings, tmp_path, DANGJIAN_IMPORT_CHUNK_ROWS=CHUNK,
                              DANGJIAN_IMPORT_PARALLEL_MIN_ROWS=1000, DANGJIAN_IMPORT_WORKERS=2,
                              DANGJIAN_USER="committee_organizer")


def wait_until(proc, condition, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.order_by("-pk").first()
        if job is not None and condition(job):
            return job
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the import ended before the kill point (rc {proc.returncode}): {out}{err}")
        time.sleep(0.005)
    pytest.fail("kill point not reached in time")


def kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.django_db(transaction=True)
def test_import_killed_at_five_random_points_resumes_to_the_clean_end_state(world, settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    ids, rng = Ids(), random.Random(2026)
    rows = [["姓名", "公民身份号码", "人员类别", "入党日期", "联系电话", "所在党组织"]]
    expected = {}
    for n in range(ROWS):
        number = ids(dt.date(1960, 1, 1) + dt.timedelta(days=n * 3), n % 2 == 0)
        phone = f"139{n:08d}"
        rows.append([f"党员{n}", number, "工人", "2010-07-01", phone, "BR1" if n % 3 else "BR2"])
        expected[id_number_index(number)] = (f"党员{n}", phone, world.br1.pk if n % 3 else world.br2.pk)
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx(rows))
    before = Member.objects.count()

    proc = cli(["members", str(path), "--org", "STA"], settings, tmp_path)  # validated by 2 forked workers
    job = wait_until(proc, lambda j: j.state == ImportJob.State.VALIDATING and j.validated_rows > 0)
    kill(proc)  # 1: while validating
    kill_points = sorted(rng.sample(range(2, ROWS // CHUNK - 2), 4))
    observed = []
    for point in kill_points:  # 2–5: while committing, each somewhere inside a chunk
        proc = cli(["resume", str(job.pk)], settings, tmp_path)
        at = wait_until(proc, lambda j: j.state == ImportJob.State.COMMITTING and j.applied_rows >= point * CHUNK)
        kill(proc)
        observed.append(at.applied_rows)
        assert Member.objects.count() - before <= ROWS
    proc = cli(["resume", str(job.pk)], settings, tmp_path)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err

    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert job.applied_rows == job.to_apply_rows == ROWS
    assert len(observed) == 4 and observed == sorted(observed)
    imported = {m.id_number_index: (m.name, m.phone, m.org_id) for m in Member.objects.filter(
        id_number_index__in=list(expected))}
    assert imported == expected
    assert Member.objects.count() == before + ROWS
    created = [pk for r in AuditRecord.objects.filter(action="member.import") for pk in r.after["created"]]
    assert len(created) == len(set(created)) == ROWS
    assert audit.verify().ok


@pytest.mark.django_db(transaction=True)
def test_parallel_validation_finds_exactly_what_serial_validation_finds(world, settings, tmp_path):
    """Large files are validated by forked workers; duplicates across their batches are still caught."""
    ids = Ids()
    rows = [["姓名", "公民身份号码", "人员类别", "入党日期"]]
    numbers = [ids(dt.date(1970, 1, 1) + dt.timedelta(days=n)) for n in range(600)]
    for n, number in enumerate(numbers):
        rows.append([f"党员{n}", number, "工人" if n % 97 else "宇航员", "2010-07-01"])
    rows.append(["重复", numbers[3], "工人", "2010-07-01"])  # a duplicate in another batch than its first row
    data = xlsx(rows)
    from dangjian.exchange import actions

    settings.IMPORT_CHUNK_ROWS = 50
    outcomes = {}
    for label, min_rows in (("serial", 10_000), ("parallel", 100)):
        settings.IMPORT_PARALLEL_MIN_ROWS = min_rows
        settings.IMPORT_WORKERS = 2
        job = actions.do_start_import(kind="members", file_name="r.xlsx", data=data, root_org=world.br1,
                                      actor=world.secretary, commit=False, run_now=True)
        assert job.state == ImportJob.State.VALIDATED, job.message
        outcomes[label] = (job.new_count, job.error_count, job.validated_rows,
                           sorted((r.row_number, tuple(map(tuple, r.errors))) for r in job.rows.filter(outcome="error")))
    assert outcomes["serial"] == outcomes["parallel"]
    new, errors, validated, bad = outcomes["parallel"]
    assert (new, errors, validated) == (600 - 7, 8, 601)
    assert bad[-1] == (602, (("公民身份号码", "与第 5 行的公民身份号码重复"),))
