"""The refresh job: extract → compute → store. One `RefreshRun` records each refresh with its state and the time
of each phase. On DuckDB the results are computed into tables of the analytics file; the other engines' rows are
loaded there (or into a DuckDB in memory) so that storing is the same for all (`summaries.py`). The summaries are
written in one transaction, so a failed refresh leaves the previous values in place (the run is marked failed with
the error)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import audit

from . import summaries
from .engines import ENGINES, DuckDBEngine, Engine, engine as make_engine
from .extract import connect, extract
from .models import RefreshRun, RefreshState

log = logging.getLogger("dangjian.analytics")


@dataclass
class Computed:
    values: list[tuple] = field(default_factory=list)  # (code, org_id, key, value, numerator, denominator)
    scores: list[tuple] = field(default_factory=list)  # (member_id, org_id, score, detail)
    seconds: dict[str, float] = field(default_factory=dict)  # code → seconds


def _round(value):
    return None if value is None else round(float(value), summaries.VALUE_DIGITS)


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


def compute_into(eng: DuckDBEngine, as_of: dt.date) -> dict[str, float]:
    """Every indicator and the members' scores computed by DuckDB straight into the result tables of its file
    (`summaries.RESULT_VALUES`, `RESULT_SCORES`): no row passes through Python. Returns the seconds per code."""
    from .indicators import Indicators, Params

    duck = eng.duck
    ind = Indicators(eng.table, Params.on(as_of, eng.max_depth()), keep=eng.keep, small=eng.small)
    seconds: dict[str, float] = {}
    summaries.create_results(duck)
    for code, expr in ind.expressions().items():
        began = time.perf_counter()
        summaries.insert_values(duck, code, eng.con.compile(expr))
        seconds[code] = time.perf_counter() - began
    began = time.perf_counter()
    summaries.insert_scores(duck, eng.con.compile(ind.member_points.select("member_id", "kind", "n", "quantity",
                                                                            "points")),
                            eng.con.compile(ind.member_scores))
    seconds["member_scores"] = time.perf_counter() - began
    return seconds


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
    duck = results = None
    try:
        began = time.perf_counter()
        if name in ("duckdb", "spark"):
            duck = connect()
            report = extract(duck)
            timings["extract_rows"] = sum(report.rows.values())
        timings["extract"] = round(time.perf_counter() - began, 3)
        began = time.perf_counter()
        if name == "duckdb":
            eng = DuckDBEngine(duck=duck)
            try:
                compute_into(eng, as_of)
            finally:
                eng.close()
            results = duck
        else:
            import duckdb

            eng = make_engine(name, duck=duck)
            try:
                computed = compute(eng, as_of)
            finally:
                eng.close()
            results = duck if duck is not None else duckdb.connect()
            summaries.load_results(results, computed.values, computed.scores)
        timings["compute"] = round(time.perf_counter() - began, 3)
        began = time.perf_counter()
        with transaction.atomic():
            counts = summaries.store(as_of, results, run)
            timings["store"] = round(time.perf_counter() - began, 3)
            timings.update(counts)
            run.state, run.finished_at, run.timings = RefreshState.DONE, timezone.now(), timings
            run.save(update_fields=["state", "finished_at", "timings", "latest"])
            audit.record("analytics.refresh", actor=actor, obj=run, after={"as_of": as_of.isoformat(), "engine": name,
                                                                         **counts},
                         detail=_("指标计算（截止 %(day)s，%(engine)s）：%(values)s 项指标值，%(scores)s 名党员活力指数")
                         % {"day": as_of, "engine": name, "values": counts["values"], "scores": counts["scores"]})
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the run; the old values stay
        log.exception("analytics refresh %s failed", run.pk)
        run.state, run.finished_at, run.timings, run.latest = RefreshState.FAILED, timezone.now(), timings, False
        run.error = f"{type(exc).__name__}: {exc}"[:4000]
        run.save(update_fields=["state", "finished_at", "timings", "error", "latest"])
    else:
        if duck is not None and run.latest:
            began = time.perf_counter()
            try:
                summaries.remember(duck, run)
            except Exception:  # noqa: BLE001 - the summaries are stored; the next refresh rewrites them whole
                log.exception("analytics refresh %s: keeping the stored values in the analytics file failed", run.pk)
                summaries.forget(duck)
            timings["remember"] = round(time.perf_counter() - began, 3)
            RefreshRun.objects.filter(pk=run.pk).update(timings=timings)
    finally:
        if results is not None and results is not duck:
            results.close()
        if duck is not None:
            duck.close()
    return run
