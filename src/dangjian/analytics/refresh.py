"""The refresh job: extract → compute → store. One `RefreshRun` records each refresh with its state and the time
of each phase; the values of one day are replaced in one transaction, so a failed refresh leaves the previous
values of that day in place (the run is marked failed with the error)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import audit, bulk

from .engines import ENGINES, DuckDBEngine, Engine, engine as make_engine
from .extract import connect, extract
from .models import IndicatorValue, MemberScore, RefreshRun, RefreshState

log = logging.getLogger("dangjian.analytics")
VALUE_DIGITS = 9  # stored values are rounded, so every engine stores the same figures


@dataclass
class Computed:
    values: list[tuple] = field(default_factory=list)  # (code, org_id, key, value, numerator, denominator)
    scores: list[tuple] = field(default_factory=list)  # (member_id, org_id, score, detail)
    seconds: dict[str, float] = field(default_factory=dict)  # code → seconds


def _round(value):
    return None if value is None else round(float(value), VALUE_DIGITS)


def compute(eng: Engine, as_of: dt.date, *, codes=None, scores: bool = True) -> Computed:
    """Every indicator (or those of `codes`) and the members' vitality scores, computed on `eng`."""
    from .indicators import Indicators, Params  # Ibis loads only where indicators are computed

    ind = Indicators(eng.table, Params.on(as_of, eng.max_depth()), keep=eng.keep, small=eng.small)
    out = Computed()
    chosen = {code: expr for code, expr in ind.expressions().items() if codes is None or code in codes}
    if eng.together:
        import ibis

        began = time.perf_counter()
        every = ibis.union(*[expr.mutate(code=ibis.literal(code)) for code, expr in chosen.items()], distinct=False)
        for org_id, key, value, numerator, denominator, code in eng.rows(every):
            out.values.append((code, int(org_id), key or "", _round(value), _round(numerator), _round(denominator)))
        out.seconds["all"] = time.perf_counter() - began
        chosen = {}
    for code, expr in chosen.items():
        began = time.perf_counter()
        for org_id, key, value, numerator, denominator in eng.rows(expr):
            out.values.append((code, int(org_id), key or "", _round(value), _round(numerator), _round(denominator)))
        out.seconds[code] = time.perf_counter() - began
    if scores:
        began = time.perf_counter()
        details: dict[int, dict] = {}
        points = ind.member_points.select("member_id", "kind", "n", "quantity", "points")
        for member_id, kind, n, quantity, got in eng.rows(points):
            details.setdefault(int(member_id), {})[kind] = {"count": int(n), "quantity": _round(quantity),
                                                            "points": _round(got)}
        for member_id, org_id, score in eng.rows(ind.member_scores):
            out.scores.append((int(member_id), int(org_id), _round(score), details.get(int(member_id), {})))
        out.seconds["member_scores"] = time.perf_counter() - began
    return out


def store(as_of: dt.date, computed: Computed) -> dict[str, int]:
    """Replace the values and scores of `as_of` (call inside a transaction)."""
    IndicatorValue.objects.filter(as_of=as_of).delete()
    MemberScore.objects.filter(as_of=as_of).delete()
    if connection.vendor == "postgresql":
        return _copy_postgresql(as_of, computed)
    values = bulk.insert_dicts(IndicatorValue, (
        {"as_of": as_of, "org_id": org_id, "code": code, "key": key, "value": value, "numerator": numerator,
         "denominator": denominator} for code, org_id, key, value, numerator, denominator in computed.values))
    scores = bulk.insert_dicts(MemberScore, (
        {"as_of": as_of, "member_id": member_id, "org_id": org_id, "score": score, "detail": detail}
        for member_id, org_id, score, detail in computed.scores))
    return {"values": values, "scores": scores}


def _text(value) -> str:
    """One field of COPY's text format."""
    if value is None:
        return "\\N"
    return repr(value) if isinstance(value, float) else str(value)


def _copy_postgresql(as_of: dt.date, computed: Computed) -> dict[str, int]:
    """COPY in text format written in large blocks: the rows are plain numbers, codes and JSON of codes and numbers."""
    import json

    day = as_of.isoformat()
    with connection.cursor() as cursor:
        with cursor.cursor.copy("COPY analytics_indicatorvalue (as_of, org_id, code, key, value, numerator, "
                                "denominator) FROM STDIN") as copy:
            for start in range(0, len(computed.values), 50_000):
                copy.write("".join(
                    f"{day}\t{org_id}\t{code}\t{key}\t{_text(value)}\t{_text(numerator)}\t{_text(denominator)}\n"
                    for code, org_id, key, value, numerator, denominator in computed.values[start:start + 50_000]))
        with cursor.cursor.copy("COPY analytics_memberscore (as_of, member_id, org_id, score, detail) FROM STDIN") as copy:
            dumps = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
            for start in range(0, len(computed.scores), 50_000):
                copy.write("".join(
                    f"{day}\t{member_id}\t{org_id}\t{_text(score)}\t{dumps(detail).replace(chr(92), chr(92) * 2)}\n"
                    for member_id, org_id, score, detail in computed.scores[start:start + 50_000]))
    return {"values": len(computed.values), "scores": len(computed.scores)}


def check_engine(name: str | None) -> str:
    name = name or settings.ANALYTICS_ENGINE
    if name not in ENGINES:
        raise ValidationError({"engine": _("未知的计算引擎：%(name)s（可选 duckdb、postgres、spark）") % {"name": name}})
    return name


def check_as_of(as_of) -> dt.date:
    today = timezone.localdate()
    if as_of in (None, ""):
        return today
    if isinstance(as_of, str):
        try:
            as_of = dt.date.fromisoformat(as_of)
        except ValueError:
            raise ValidationError({"as_of": _("统计截止日期格式应为 YYYY-MM-DD")}) from None
    if as_of > today:
        raise ValidationError({"as_of": _("统计截止日期不能晚于今天")})
    if as_of.year < 1921:
        raise ValidationError({"as_of": _("统计截止日期无效")})
    return as_of


def do_refresh(as_of=None, *, engine: str | None = None, actor=None) -> RefreshRun:
    """Extract, compute every indicator as of `as_of` (today by default) and store them. Returns the run, done or
    failed; bad input raises ValidationError before anything is written."""
    from dangjian.accounts import roles

    as_of, name = check_as_of(as_of), check_engine(engine)
    if actor is not None and not actor.has_perm_anywhere(roles.ANALYTICS_REFRESH):
        raise ValidationError({"__all__": _("您没有执行指标计算的权限")})
    run = RefreshRun.objects.create(as_of=as_of, engine=name, state=RefreshState.RUNNING)
    timings: dict = {}
    duck = None
    try:
        began = time.perf_counter()
        if name in ("duckdb", "spark"):
            duck = connect()
            report = extract(duck)
            timings["extract_rows"] = sum(report.rows.values())
        timings["extract"] = round(time.perf_counter() - began, 3)
        began = time.perf_counter()
        eng = DuckDBEngine(duck=duck) if name == "duckdb" else make_engine(name, duck=duck)
        try:
            computed = compute(eng, as_of)
        finally:
            eng.close()
        timings["compute"] = round(time.perf_counter() - began, 3)
        began = time.perf_counter()
        with transaction.atomic():
            counts = store(as_of, computed)
            timings["store"] = round(time.perf_counter() - began, 3)
            timings.update(counts)
            run.state, run.finished_at, run.timings = RefreshState.DONE, timezone.now(), timings
            run.save(update_fields=["state", "finished_at", "timings"])
            audit.record("analytics.refresh", actor=actor, obj=run, after={"as_of": as_of.isoformat(), "engine": name,
                                                                         **counts},
                         detail=_("指标计算（截止 %(day)s，%(engine)s）：%(values)s 项指标值，%(scores)s 名党员活力指数")
                         % {"day": as_of, "engine": name, "values": counts["values"], "scores": counts["scores"]})
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the run; the old values stay
        log.exception("analytics refresh %s failed", run.pk)
        run.state, run.finished_at, run.timings = RefreshState.FAILED, timezone.now(), timings
        run.error = f"{type(exc).__name__}: {exc}"[:4000]
        run.save(update_fields=["state", "finished_at", "timings", "error"])
    finally:
        if duck is not None:
            duck.close()
    return run
