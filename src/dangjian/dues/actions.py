"""Writes to the dues ledger. Each runs in one transaction with its audit record; payments are never edited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from dangjian.accounts import roles
from dangjian.analytics import facts
from dangjian.analytics.models import FactKind
from dangjian.core import audit, rulebook
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member

from . import calculator
from .choices import BASED, BaseKind
from .models import DuesBill, DuesPayment, DuesRelief, DuesStandard
from .months import add_months, label, month_of, months_between

ALREADY_PAID = "{month}的党费已经缴纳，不能重复缴纳"


def _member_in_scope(member: Member, actor, perm: str) -> Member:
    found = Member.objects.restrict(actor, perm).filter(pk=member.pk).select_related("org").first()
    if found is None:
        raise Http404("党员不存在或不在您的管理范围内")
    return found


def _payer_since(member: Member) -> dt.date:
    """The first month dues are owed: 预备党员 pay from the branch meeting that accepted them (第八条)."""
    return month_of(member.joined_on)


@transaction.atomic
def do_set_standard(member: Member, *, category: str, base=None, base_kind: str = "", effective_from: dt.date,
                    actor) -> DuesStandard:
    """A member declares their standard (it then waits for the branch), or the branch sets it (confirmed)."""
    manages = Member.objects.restrict(actor, roles.DUES_MANAGE).filter(pk=member.pk).exists()
    own = member.user_id is not None and member.user_id == actor.pk
    if not manages and not own:
        raise Http404("党员不存在或不在您的管理范围内")
    member = Member.objects.select_for_update().get(pk=member.pk)
    quote = calculator.calculate(category, base, effective_from)
    errors = {}
    if category in BASED and base_kind and base_kind not in BaseKind.values:
        errors["base_kind"] = "请选择有效的基数口径"
    if category not in BASED:
        base_kind = ""
    start = month_of(effective_from)
    if start < _payer_since(member):
        errors["effective_from"] = f"该党员从{label(_payer_since(member))}起交纳党费（入党之日起），起始月份不能更早"
    if member.status != MemberStatus.NORMAL:
        errors["member"] = f"该党员党籍状态为“{member.get_status_display()}”，不再交纳党费"
    if errors:
        raise ValidationError(errors)
    if DuesBill.objects.filter(member=member, month__gte=start, payments__active=True).exists():
        raise ValidationError({"effective_from": "该月份以后已有缴纳记录，请从尚未缴纳的月份开始调整"})
    status = DuesStandard.Status.CONFIRMED if manages else DuesStandard.Status.DECLARED
    standard, created = DuesStandard.objects.update_or_create(
        member=member, effective_from=start,
        defaults=dict(category=category, base=quote.base, base_kind=base_kind or "", rate=quote.rate,
                      monthly_amount=quote.amount, explanation=quote.explanation[:300], status=status,
                      declared_by=actor, confirmed_by=actor if manages else None,
                      confirmed_at=timezone.now() if manages else None),
    )
    if manages:
        _reprice_unpaid_bills(member, start)
    audit.record("dues.standard", actor=actor, obj=member,
                 after={"from": start.isoformat(), "category": category, "amount": str(quote.amount),
                        "status": status},
                 detail=f"{member}：{label(start)}起每月 {quote.amount} 元（{DuesStandard.Status(status).label}）")
    return standard


@transaction.atomic
def do_confirm_standard(standard: DuesStandard, *, actor) -> DuesStandard:
    found = DuesStandard.objects.restrict(actor, roles.DUES_MANAGE).select_for_update(of=("self",)).filter(
        pk=standard.pk).first()
    if found is None:
        raise Http404("党费标准不存在或不在您的管理范围内")
    if found.status == DuesStandard.Status.CONFIRMED:
        raise ValidationError("该党费标准已经确认")
    found.status, found.confirmed_by, found.confirmed_at = DuesStandard.Status.CONFIRMED, actor, timezone.now()
    found.version += 1
    found.save()
    _reprice_unpaid_bills(found.member, found.effective_from)
    audit.record("dues.standard_confirm", actor=actor, obj=found.member,
                 after={"from": found.effective_from.isoformat(), "amount": str(found.monthly_amount)},
                 detail=f"{found.member}：确认{label(found.effective_from)}起每月 {found.monthly_amount} 元")
    return found


def standard_for(member: Member, month: dt.date) -> DuesStandard | None:
    """The confirmed standard in force for `month` (the latest one starting on or before it)."""
    return (DuesStandard.objects.filter(member=member, status=DuesStandard.Status.CONFIRMED,
                                        effective_from__lte=month).order_by("-effective_from").first())


def standards_in_force(members, month: dt.date) -> dict[int, DuesStandard]:
    """`standard_for` of many members in one query: member id → the confirmed standard in force for `month`."""
    found: dict[int, DuesStandard] = {}
    for standard in (DuesStandard.objects.filter(member__in=members, status=DuesStandard.Status.CONFIRMED,
                                                 effective_from__lte=month).order_by("member_id", "-effective_from")):
        found.setdefault(standard.member_id, standard)
    return found


def amount_for(member: Member, month: dt.date, standard: DuesStandard) -> Decimal:
    """The month's amount: the standard's, unless an approved reduction or exemption covers the month."""
    relief = (DuesRelief.objects.filter(member=member, state=DuesRelief.State.APPROVED, first_month__lte=month,
                                        last_month__gte=month).order_by("-decided_at").first())
    return min(relief.monthly_amount, standard.monthly_amount) if relief else standard.monthly_amount


def _reprice_unpaid_bills(member: Member, start: dt.date) -> None:
    """A new standard or relief applies to the months from its start that are not paid yet (第十条)."""
    for bill in DuesBill.objects.filter(member=member, month__gte=start).exclude(payments__active=True):
        standard = standard_for(member, bill.month)
        if standard is None:
            continue
        amount = amount_for(member, bill.month, standard)
        if (bill.standard_id, bill.amount) != (standard.pk, amount):
            bill.standard, bill.amount = standard, amount
            bill.version += 1
            bill.save(update_fields=["standard", "amount", "version", "updated_at"])


def _bill(member: Member, month: dt.date) -> DuesBill:
    """The member's bill for `month`, made from the confirmed standard when it does not exist yet."""
    bill = DuesBill.objects.filter(member=member, month=month).first()
    if bill is not None:
        return bill
    standard = standard_for(member, month)
    if standard is None:
        raise ValidationError({"months": f"{member.name}没有{label(month)}适用的已确认党费标准，请先核定标准"})
    try:
        with transaction.atomic():
            return DuesBill.objects.create(member=member, month=month, amount=amount_for(member, month, standard),
                                           standard=standard, org=member.org)
    except IntegrityError:  # made meanwhile by a concurrent payment or a bill run
        return DuesBill.objects.get(member=member, month=month)


@transaction.atomic
def do_generate_bills(org, month: dt.date, *, actor) -> int:
    """This month's bills for every paying member of `org` and below who has a confirmed standard."""
    from dangjian.core.actions import require

    require(actor, roles.DUES_MANAGE, org)
    month = month_of(month)
    from dangjian.members.history import periods_on

    month_end = add_months(month, 1) - dt.timedelta(days=1)
    members = (Member.objects.restrict(actor, roles.DUES_MANAGE)
               .filter(org__path__startswith=org.path, status=MemberStatus.NORMAL, joined_on__lt=add_months(month, 1))
               # on this system's roll by the month's end (one who came in later paid elsewhere that month) …
               .filter(pk__in=periods_on(month_end).values("member_id"))
               # … and not already paid, as the 介绍信 they came with says
               .exclude(incoming_letters__dues_paid_until__gte=month)
               .exclude(dues_bills__month=month).select_related("org"))
    members = list(members)
    standards = standards_in_force(members, month)
    made = 0
    for member in members:
        standard = standards.get(member.pk)
        if standard is None:
            continue
        _, created = DuesBill.objects.get_or_create(
            member=member, month=month,
            defaults=dict(amount=amount_for(member, month, standard), standard=standard, org=member.org))
        made += created
    audit.record("dues.bills", actor=actor, obj=org, after={"month": month.isoformat(), "bills": made},
                 detail=f"{org}：生成{label(month)}党费账单 {made} 份")
    return made


def payable_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The months that may be paid today: back-payment and prepayment are limited (rulebook)."""
    today = today or dt.date.today()
    current = month_of(today)
    return (add_months(current, -rulebook.value("dues_back_pay_months", today)),
            add_months(current, rulebook.value("dues_prepay_months", today)))


@transaction.atomic
def do_record_payment(member: Member, *, months: list[dt.date], actor, idempotency_key: str,
                      method: str = DuesPayment.Method.CASH, paid_by: str = "", paid_on: dt.date | None = None,
                      external_ref: str = "") -> list[DuesPayment]:
    """Record payment of whole months for a member; all or nothing, each member-month exactly once.

    The same idempotency key again (a retried request) returns the payments it made instead of paying twice.
    """
    member = _member_in_scope(member, actor, roles.DUES_MANAGE)
    return _pay(member, months=months, actor=actor, idempotency_key=idempotency_key, method=method,
                paid_by=paid_by, paid_on=paid_on, external_ref=external_ref)


def _pay(member: Member, *, months, actor, idempotency_key, method, paid_by="", paid_on=None,
         external_ref="") -> list[DuesPayment]:
    """The payment itself, for a member already checked to be payable by `actor`."""
    if not idempotency_key or len(idempotency_key) > 48:
        raise ValidationError({"idempotency_key": "缺少或过长的请求编号"})
    previous = list(DuesPayment.objects.filter(idempotency_key__startswith=f"{idempotency_key}:", member=member))
    if previous:
        return previous
    paid_on = paid_on or dt.date.today()
    errors = {}
    if method not in DuesPayment.Method.values:
        errors["method"] = "请选择有效的缴纳方式"
    if method == DuesPayment.Method.PROXY and not (paid_by or "").strip():
        errors["paid_by"] = "代缴时请填写代缴人"
    if paid_on > dt.date.today():
        errors["paid_on"] = "缴纳日期不能晚于今天"
    months = sorted({month_of(m) for m in months})
    if not months:
        errors["months"] = "请选择要缴纳的月份"
    first, last = payable_window(paid_on)
    for month in months:
        if month < first:
            errors["months"] = (f"{label(month)}已超过补缴期限（补缴一般不超过 {rulebook.value('dues_back_pay_months')} 个月），"
                                "请与上级党组织联系")
        elif month > last:
            errors["months"] = f"{label(month)}超出预缴期限（预缴一般不超过 {rulebook.value('dues_prepay_months')} 个月）"
        elif month < _payer_since(member):
            errors["months"] = f"{label(month)}早于入党时间，不需交纳党费"
    if errors:
        raise ValidationError(errors)
    payments = []
    for month in months:
        bill = DuesBill.objects.select_for_update().get(pk=_bill(member, month).pk)
        if bill.payments.filter(active=True).exists():
            raise ValidationError({"months": ALREADY_PAID.format(month=label(month))})
        if bill.amount == 0:
            raise ValidationError({"months": f"{label(month)}已批准免交党费，不需交纳"})
        try:
            with transaction.atomic():
                payments.append(DuesPayment.objects.create(
                    member=member, bill=bill, amount=bill.amount, method=method, paid_by=(paid_by or "").strip()[:50],
                    paid_on=paid_on, idempotency_key=f"{idempotency_key}:{month:%Y%m}", external_ref=external_ref,
                    recorded_by=actor))
        except IntegrityError:  # a concurrent payment of the same month won
            raise ValidationError({"months": ALREADY_PAID.format(month=label(month))}) from None
    total = sum((p.amount for p in payments), Decimal("0"))
    facts.record_many([facts.fact(FactKind.DUES_PAYMENT, on=paid_on, org_id=member.org_id, member_id=member.pk,
                                  quantity=p.amount, ref=facts.ref_of(p), detail={"month": f"{p.bill.month:%Y-%m}",
                                                                                 "method": method})
                       for p in payments])
    audit.record("dues.pay", actor=actor, obj=member,
                 after={"months": [m.isoformat() for m in months], "total": str(total), "method": method},
                 detail=f"{member}：缴纳{'、'.join(label(m) for m in months)}党费共 {total} 元")
    return payments


@transaction.atomic
def do_record_voluntary_payment(member: Member, *, amount, actor, idempotency_key: str,
                                method: str = DuesPayment.Method.CASH, paid_on: dt.date | None = None) -> DuesPayment:
    """A voluntary extra payment; one of 1000 yuan or more goes wholly to the Centre (第十一条)."""
    member = _member_in_scope(member, actor, roles.DUES_MANAGE)
    existing = DuesPayment.objects.filter(idempotency_key=f"{idempotency_key}:voluntary", member=member).first()
    if existing:
        return existing
    value = calculator.parse_base(amount)
    if value <= 0:
        raise ValidationError({"amount": "金额应大于 0"})
    central = value >= Decimal(rulebook.value("dues_central_remittance_threshold"))
    payment = DuesPayment.objects.create(
        member=member, kind=DuesPayment.Kind.VOLUNTARY, amount=value, method=method,
        paid_on=paid_on or dt.date.today(), idempotency_key=f"{idempotency_key}:voluntary", for_central=central,
        recorded_by=actor)
    facts.record(FactKind.DUES_PAYMENT, on=payment.paid_on, org_id=member.org_id, member_id=member.pk, quantity=value,
                 ref=facts.ref_of(payment), detail={"voluntary": True, "method": method})
    audit.record("dues.voluntary", actor=actor, obj=member, after={"amount": str(value), "for_central": central},
                 detail=f"{member}：自愿多交党费 {value} 元" + ("（全额上缴中央）" if central else ""))
    return payment


@transaction.atomic
def do_reverse_payment(payment: DuesPayment, *, reason: str, actor) -> DuesPayment:
    """Correct a wrong payment: it stays on record, marked reversed with the reason; the month is unpaid again."""
    found = (DuesPayment.objects.restrict(actor, roles.DUES_MANAGE).select_for_update(of=("self",))
             .filter(pk=payment.pk).first())
    if found is None:
        raise Http404("缴纳记录不存在或不在您的管理范围内")
    if not found.active:
        raise ValidationError("该缴纳记录已经冲正")
    if len((reason or "").strip()) < 2:
        raise ValidationError({"reason": "请填写冲正原因"})
    found.active, found.reversed_by, found.reversed_at = False, actor, timezone.now()
    found.reversal_reason = reason.strip()[:200]
    found.save(update_fields=["active", "reversed_by", "reversed_at", "reversal_reason"])
    month = label(found.bill.month) if found.bill_id else "自愿多交"
    facts.record(FactKind.DUES_REVERSAL, on=timezone.localdate(), org_id=found.member.org_id, member_id=found.member_id,
                 quantity=-found.amount, ref=facts.ref_of(found), detail={"reason": found.reversal_reason})
    audit.record("dues.reverse", actor=actor, obj=found.member,
                 after={"payment": found.pk, "amount": str(found.amount), "reason": found.reversal_reason},
                 detail=f"{found.member}：冲正{month} {found.amount} 元，原因：{found.reversal_reason}")
    return found



@transaction.atomic
def do_propose_relief(member: Member, *, kind: str, monthly_amount=None, first_month: dt.date, last_month: dt.date,
                      reason: str, discussed_on: dt.date, actor) -> DuesRelief:
    """The branch, having discussed it, asks the next-higher 党委 to let a member pay less or nothing (第七条)."""
    member = _member_in_scope(member, actor, roles.DUES_MANAGE)
    errors = {}
    if kind not in DuesRelief.Kind.values:
        errors["kind"] = "请选择少交或免交"
    amount = Decimal("0.00")
    if kind == DuesRelief.Kind.REDUCE:
        try:
            amount = calculator.parse_base(monthly_amount)
        except ValidationError:
            errors["monthly_amount"] = "请填写减免后每月交纳的金额"
        else:
            if amount <= 0:
                errors["monthly_amount"] = "少交的金额应大于 0；不交请选择免交"
    first, last = month_of(first_month), month_of(last_month)
    if last < first:
        errors["last_month"] = "截止月份不能早于起始月份"
    if discussed_on > dt.date.today():
        errors["discussed_on"] = "支部讨论日期不能晚于今天"
    if len((reason or "").strip()) < 4:
        errors["reason"] = "请写明困难情况"
    if errors:
        raise ValidationError(errors)
    relief = DuesRelief.objects.create(member=member, kind=kind, monthly_amount=amount, first_month=first,
                                       last_month=last, reason=reason.strip()[:300], discussed_on=discussed_on,
                                       proposed_by=actor)
    audit.record("dues.relief_propose", actor=actor, obj=member,
                 after={"kind": kind, "amount": str(amount), "from": first.isoformat(), "to": last.isoformat()},
                 detail=f"{member}：申请{DuesRelief.Kind(kind).label}党费（{label(first)}至{label(last)}）")
    return relief


def can_decide_relief(relief: DuesRelief, actor) -> bool:
    """Only the next-higher 党委 decides: an account holding dues rights over the branch's parent organisation."""
    from dangjian.orgs.models import Organization

    parent = Organization.objects.get_parent(relief.member.org)
    return parent is not None and Organization.objects.restrict(actor, roles.DUES_MANAGE).filter(pk=parent.pk).exists()


@transaction.atomic
def do_decide_relief(relief: DuesRelief, *, approve: bool, note: str = "", actor) -> DuesRelief:
    found = DuesRelief.objects.select_for_update(of=("self",)).select_related("member__org").filter(pk=relief.pk).first()
    if found is None or not can_decide_relief(found, actor):
        raise Http404("减免申请不存在或不由您审批")
    if found.state != DuesRelief.State.PROPOSED:
        raise ValidationError("该申请已经审批")
    if not approve and len((note or "").strip()) < 2:
        raise ValidationError({"note": "不批准时请填写意见"})
    found.state = DuesRelief.State.APPROVED if approve else DuesRelief.State.REJECTED
    found.decided_by, found.decided_at, found.decision_note = actor, timezone.now(), (note or "").strip()[:200]
    found.version += 1
    found.save()
    if approve:
        _reprice_unpaid_bills(found.member, found.first_month)
    audit.record("dues.relief_decide", actor=actor, obj=found.member,
                 after={"relief": found.pk, "state": found.state, "note": found.decision_note},
                 detail=f"{found.member}：党费{found.get_kind_display()}申请{found.get_state_display()}")
    return found


def payable_months(member: Member, today: dt.date | None = None) -> list[dt.date]:
    """The months a member may pay now (online): unpaid, owed, inside the back-payment window, up to this month."""
    today = today or dt.date.today()
    first, _ = payable_window(today)
    start = max(first, _payer_since(member))
    months = [add_months(start, n) for n in range(months_between(start, month_of(today)) + 1)]
    paid = set(DuesBill.objects.filter(member=member, month__in=months)
               .filter(Q(payments__active=True) | Q(amount=0)).values_list("month", flat=True))
    return [m for m in months if m not in paid and standard_for(member, m) is not None]


@transaction.atomic
def do_start_online_payment(member: Member, *, months: list[dt.date], actor):
    """A member pays their own dues online: an order with the provider, paid when the provider confirms."""
    from .models import PaymentOrder
    from .payments import provider

    if member.user_id != actor.pk:
        raise Http404("只能为本人在线交纳党费")
    allowed = set(payable_months(member))
    months = sorted({month_of(m) for m in months})
    if not months or not set(months) <= allowed:
        raise ValidationError({"months": "请选择可以交纳的月份（未交、在补缴期限内）"})
    amount = sum((amount_for(member, m, standard_for(member, m)) for m in months), Decimal("0.00"))
    order = PaymentOrder.objects.create(member=member, months=[m.isoformat() for m in months], amount=amount,
                                        provider=provider().name, created_by=actor)
    audit.record("dues.order", actor=actor, obj=member, after={"order": order.order_id, "amount": str(amount)},
                 detail=f"{member}：在线交纳{'、'.join(label(m) for m in months)}党费 {amount} 元（待支付）")
    return order


@transaction.atomic
def do_complete_online_payment(order_id: str, *, external_ref: str, paid: bool):
    """The provider's confirmation (verified by the caller): record the payments once, however often it comes."""
    from .models import PaymentOrder

    order = PaymentOrder.objects.select_for_update().select_related("member", "created_by").filter(
        order_id=order_id).first()
    if order is None:
        raise Http404("支付订单不存在")
    if order.state != PaymentOrder.State.PENDING:
        return order
    if not paid:
        order.state = PaymentOrder.State.FAILED
        order.save(update_fields=["state"])
        return order
    try:
        with transaction.atomic():
            _pay(order.member, months=[dt.date.fromisoformat(m) for m in order.months], actor=order.created_by,
                 idempotency_key=order.order_id, method=DuesPayment.Method.ONLINE, external_ref=external_ref[:64])
    except ValidationError as exc:  # paid at the branch meanwhile: the money must go back
        order.state, order.note = PaymentOrder.State.REFUND, "；".join(exc.messages)[:200]
    else:
        order.state = PaymentOrder.State.PAID
    order.external_ref, order.completed_at = external_ref[:64], timezone.now()
    order.save(update_fields=["state", "note", "external_ref", "completed_at"])
    return order
