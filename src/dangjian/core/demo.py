"""The demo organisation: a realistic, deterministic 市委 → 区委 → 街道 → 基层党委/总支 → 支部 → 党小组 tree.

Every name and 公民身份号码 is generated (checksum-valid, never taken from a list of people). The shares of
women, minorities, education, age and occupation follow the 党内统计公报 (see shared/PERFORMANCE.md §0).
Paths are computed here the way django-treebeard would, so a million members load in minutes.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from stdnum.cn import ric

from dangjian.accounts import actions as account_actions
from dangjian.accounts.roles import RoleName
from dangjian.core import audit
from dangjian.members.choices import ETHNIC_GROUPS, Category, Gender, MemberStatus
from dangjian.members.models import Member
from dangjian.members.search import id_number_index, name_initials
from dangjian.orgs.choices import OrgType, UnitRelation
from dangjian.orgs.models import Organization

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = Organization.steplen
DEMO_ACCOUNTS = [
    ("demo_secretary", "支部书记", "一个党支部"),
    ("demo_organizer", "组织部", "区委及其全部下级组织"),
    ("demo_member", "党员", "demo_secretary 所在支部的一名党员，只能看到本人档案"),
    ("sysadmin", "系统管理员", "账号管理，不能查看党员档案"),
    ("secadmin", "安全管理员", "角色授权，不能查看党员档案"),
    ("auditor", "审计管理员", "只能查看审计日志"),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏宇浩凯健俊帆晨阳欣怡梓涵子轩"
    "思雨婷婷佳琪雪梅春燕海波海燕立新建华红梅晓东晓燕德华永红卫东振华光明学军金凤玉梅淑珍秀英"
)
CITY_NAME = "示范"
DISTRICT_NAMES = "东城 西城 南湖 北岸 高新 临江 青山 白云 金水 凤凰 长安 新华 和平 建设 红旗 光明 胜利 友谊 团结 永安".split()
STREET_NAMES = "东华门 朝阳门 建国门 景山 交道口 安定门 和平里 龙潭 天坛 永定门 体育馆路 前门 崇文门 东直门 北新桥 东四".split()
TOWN_SUFFIX = ["街道工作委员会", "镇委员会", "乡委员会"]
UNIT_KINDS = [
    ("社区", OrgType.COMMITTEE, "社区委员会", UnitRelation.SAME_AS_PARENT),
    ("村", OrgType.GENERAL_BRANCH, "村总支部委员会", UnitRelation.SAME_AS_PARENT),
    ("机关", OrgType.COMMITTEE, "机关委员会", UnitRelation.LEGAL_ENTITY),
    ("实业有限公司", OrgType.COMMITTEE, "实业有限公司委员会", UnitRelation.LEGAL_ENTITY),
    ("中学", OrgType.GENERAL_BRANCH, "中学总支部委员会", UnitRelation.LEGAL_ENTITY),
    ("卫生院", OrgType.GENERAL_BRANCH, "卫生院总支部委员会", UnitRelation.LEGAL_ENTITY),
]
NUMERALS = "一二三四五六七八九十"
REGION_CODES = [
    "110101", "110102", "110105", "110108", "120101", "130102", "140105", "210102", "220102", "230102",
    "310101", "310104", "320102", "320505", "330102", "340102", "350102", "360102", "370102", "410102",
    "420102", "430102", "440103", "440305", "450102", "500101", "510104", "520102", "530102", "610102",
]
EDUCATION_WEIGHTS = [
    ("postgraduate", 8), ("undergraduate", 28), ("junior_college", 20), ("secondary_vocational", 10),
    ("high_school", 14), ("middle_school_or_below", 20),
]
DEGREE_FOR = {"postgraduate": "master", "undergraduate": "bachelor"}
OCCUPATION_WEIGHTS = [
    ("worker", 9), ("farmer", 33), ("professional", 19), ("manager", 13), ("official", 10), ("student", 4),
    ("other", 12),
]
MINORITIES = ETHNIC_GROUPS[1:]
MINORITY_WEIGHTS = [6 if g in ("壮族", "回族", "满族", "维吾尔族", "苗族", "彝族", "土家族", "藏族", "蒙古族") else 1
                    for g in MINORITIES]
BRANDS = "宏达 兴业 华信 恒通 安泰 瑞丰 金桥 远航 新纪元 长城".split()
POSTS = ["科员", "主任", "工程师", "教师", "医生", "经理", "会计", "技术员", "职员", "村民", "社区工作者"]


def path_step(n: int) -> str:
    digits = []
    for _ in range(STEPLEN):
        n, r = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[r])
    return "".join(reversed(digits))


def numeral(i: int) -> str:
    if i <= 10:
        return NUMERALS[i - 1]
    tens, ones = divmod(i, 10)
    return (NUMERALS[tens - 1] if tens > 1 else "") + "十" + (NUMERALS[ones - 1] if ones else "")


@dataclass
class OrgSpec:
    code: str
    name: str
    short_name: str
    org_type: str
    unit_relation: str
    path: str
    depth: int
    children: list = field(default_factory=list)
    member_target: int = 0


class DemoBuilder:
    def __init__(self, members: int, seed: int):
        self.members = members
        self.rng = random.Random(seed)
        self.today = dt.date(2026, 11, 1)  # fixed, so every install of the same seed is identical
        self.orgs: list[OrgSpec] = []
        self.branches: list[OrgSpec] = []

    # -- organisations ----------------------------------------------------------------------
    def _fanout(self, mean: float) -> int:
        return max(1, round(self.rng.uniform(0.6, 1.4) * mean))

    def build_tree(self) -> None:
        average_branch = 22 if self.members >= 50_000 else 40
        n_branches = max(4, round(self.members / average_branch))
        f = n_branches ** 0.25
        city = OrgSpec("SH", f"中共{CITY_NAME}市委员会", f"{CITY_NAME}市委", OrgType.COMMITTEE,
                       UnitRelation.SAME_AS_PARENT, path_step(1), 1)
        self.orgs.append(city)
        districts = max(2, round(f))
        made = 0
        for d in range(1, districts + 1):
            if made >= n_branches:
                break
            dname = DISTRICT_NAMES[(d - 1) % len(DISTRICT_NAMES)] + ("" if d <= len(DISTRICT_NAMES) else str(d))
            dist = self._child(city, f"D{d:02d}", f"中共{dname}区委员会", f"{dname}区委", OrgType.COMMITTEE,
                               UnitRelation.SAME_AS_PARENT)
            for s in range(1, self._fanout(f) + 1):
                if made >= n_branches:
                    break
                sname = STREET_NAMES[(s - 1) % len(STREET_NAMES)] + ("" if s <= len(STREET_NAMES) else str(s))
                suffix = TOWN_SUFFIX[0] if s % 4 else TOWN_SUFFIX[1]
                stype = OrgType.WORKING_COMMITTEE if suffix == TOWN_SUFFIX[0] else OrgType.COMMITTEE
                street = self._child(dist, f"{dist.code}-S{s:02d}", f"中共{dname}区{sname}{suffix}",
                                     f"{sname}{'街道党工委' if stype == OrgType.WORKING_COMMITTEE else '镇党委'}",
                                     stype, UnitRelation.SAME_AS_PARENT)
                for u in range(1, self._fanout(f) + 1):
                    if made >= n_branches:
                        break
                    kind, utype, usuffix, relation = UNIT_KINDS[self.rng.randrange(len(UNIT_KINDS))]
                    if kind in ("社区", "村"):
                        uname = f"{sname}{numeral(u)}{kind}"
                    elif kind == "实业有限公司":
                        uname = f"{sname}{BRANDS[(u - 1) % len(BRANDS)]}{kind}"
                    else:
                        uname = f"{sname}第{numeral(u)}{kind}"
                    unit = self._child(street, f"{street.code}-U{u:02d}",
                                       f"中共{uname}{usuffix.replace(kind, '')}",
                                       f"{uname}{'党委' if utype == OrgType.COMMITTEE else '党总支'}", utype, relation)
                    for b in range(1, self._fanout(f) + 1):
                        if made >= n_branches:
                            break
                        bname = f"{unit.short_name[:-2] if unit.short_name.endswith('党委') else unit.short_name[:-3]}第{numeral(b)}支部"
                        branch = self._child(unit, f"{unit.code}-B{b:02d}", f"中共{bname}委员会", bname,
                                             OrgType.BRANCH, relation)
                        self.branches.append(branch)
                        made += 1
                        if self.rng.random() < 0.1:
                            for g in range(1, self.rng.randint(1, 2) + 1):
                                self._child(branch, f"{branch.code}-G{g}", f"第{numeral(g)}党小组",
                                            f"第{numeral(g)}党小组", OrgType.GROUP, relation)
        # Branch sizes: lognormal around the average, a few above the 50-member guideline.
        weights = [self.rng.lognormvariate(0, 0.5) for _ in self.branches]
        total = sum(weights)
        remaining = self.members
        for i, (branch, w) in enumerate(zip(self.branches, weights)):
            n = remaining if i == len(self.branches) - 1 else min(remaining, max(3, round(self.members * w / total)))
            branch.member_target = n
            remaining -= n

    def _child(self, parent: OrgSpec, code, name, short, org_type, relation) -> OrgSpec:
        node = OrgSpec(code, name, short, org_type, relation, parent.path + path_step(len(parent.children) + 1),
                       parent.depth + 1)
        parent.children.append(node)
        self.orgs.append(node)
        return node

    def save_tree(self) -> dict[str, int]:
        rows = []
        for spec in self.orgs:
            founded = dt.date(self.rng.randint(1950, 2020), self.rng.randint(1, 12), self.rng.randint(1, 28))
            rows.append(Organization(
                code=spec.code, name=spec.name, short_name=spec.short_name, org_type=spec.org_type,
                unit_relation=spec.unit_relation, founded_on=founded, path=spec.path, depth=spec.depth,
                numchild=len(spec.children), sort_order=0,
            ))
        Organization.objects.bulk_create(rows, batch_size=2000)
        return dict(Organization.objects.values_list("code", "id"))

    # -- members ----------------------------------------------------------------------------
    def _id_number(self, birth: dt.date, male: bool) -> str:
        region = REGION_CODES[self.rng.randrange(len(REGION_CODES))]
        gender_digit = self.rng.choice("13579" if male else "02468")
        body = f"{region}{birth:%Y%m%d}{self.rng.randrange(100):02d}{gender_digit}"
        return body + ric.calc_check_digit(body + "0")

    def _member(self, org_id: int, used: set) -> Member:
        rng = self.rng
        male = rng.random() >= 0.304
        age = rng.randint(61, 92) if rng.random() < 0.281 else rng.randint(20, 60)
        birth = self.today - dt.timedelta(days=age * 365 + rng.randrange(365))
        while True:
            id_number = self._id_number(birth, male)
            if id_number not in used:
                used.add(id_number)
                break
        surname = SURNAMES[min(int(rng.expovariate(1 / 18)), len(SURNAMES) - 1)]
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        name = surname + given
        education = rng.choices([e for e, _ in EDUCATION_WEIGHTS], [w for _, w in EDUCATION_WEIGHTS])[0]
        if age >= 61:
            occupation = "retired" if rng.random() < 0.85 else "farmer"
        else:
            occupation = rng.choices([o for o, _ in OCCUPATION_WEIGHTS], [w for _, w in OCCUPATION_WEIGHTS])[0]
            if occupation == "student" and age > 28:
                occupation = "professional"
        probationary = age >= 20 and rng.random() < 0.024
        earliest = birth.replace(year=birth.year + 18) if not (birth.month == 2 and birth.day == 29) else birth.replace(year=birth.year + 18, day=28)
        if probationary:
            joined = self.today - dt.timedelta(days=rng.randint(10, 360))
            converted = None
        else:
            span = (self.today - dt.timedelta(days=400) - earliest).days
            joined = earliest + dt.timedelta(days=rng.randint(0, max(span, 0)) if span > 0 else 0)
            converted = joined + dt.timedelta(days=365)
        minority = rng.random() < 0.077
        return Member(
            name=name,
            name_initials=name_initials(name),
            gender=Gender.MALE if male else Gender.FEMALE,
            ethnicity=rng.choices(MINORITIES, MINORITY_WEIGHTS)[0] if minority else "汉族",
            id_number=id_number,
            id_number_index=id_number_index(id_number),
            birth_date=birth,
            native_place=rng.choice(["北京", "河北", "山东", "江苏", "浙江", "河南", "湖北", "湖南", "四川", "广东"]),
            education=education,
            degree=DEGREE_FOR.get(education, "none"),
            occupation_category=occupation,
            work_unit_and_post=("" if occupation in ("retired", "student") else rng.choice(POSTS)),
            joined_on=joined,
            converted_on=converted,
            category=Category.PROBATIONARY if probationary else Category.FULL,
            org_id=org_id,
            phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
            address=f"{CITY_NAME}市{rng.choice(DISTRICT_NAMES)}区{rng.choice(STREET_NAMES)}{rng.randint(1, 300)}号",
            is_mobile=rng.random() < 0.02,
            lost_contact=rng.random() < 0.003,
            status=MemberStatus.NORMAL,
        )

    def save_members(self, ids: dict[str, int], progress=None) -> int:
        used: set[str] = set()
        batch: list[Member] = []
        written = 0
        batch_size = 5000
        for branch in self.branches:
            org_id = ids[branch.code]
            for _ in range(branch.member_target):
                batch.append(self._member(org_id, used))
                if len(batch) >= batch_size:
                    Member.objects.bulk_create(batch)
                    written += len(batch)
                    batch = []
                    if progress:
                        progress(written)
        if batch:
            Member.objects.bulk_create(batch)
            written += len(batch)
        return written


def seed(members: int = 2000, seed: int = 2026, progress=None) -> dict:
    """Build the demo organisation into an empty database. Returns counts and timings."""
    if Organization.objects.exists():
        raise ValueError("数据库中已有党组织数据，示范数据只能写入空数据库")
    started = time.monotonic()
    builder = DemoBuilder(members, seed)
    builder.build_tree()
    with transaction.atomic():
        ids = builder.save_tree()
        written = builder.save_members(ids, progress)
        from dangjian.members.history import open_missing_periods
        from dangjian.orgs.history import open_missing_versions

        open_missing_versions()  # written in bulk: their history starts with the record
        open_missing_periods()
        audit.record("demo.seed", actor_name="seed", object_type="orgs.organization",
                     after={"organizations": len(builder.orgs), "members": written, "seed": seed})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE orgs_organization; ANALYZE members_member;")
    accounts = create_demo_accounts(builder, ids) if not settings.PRODUCTION else {}
    return {
        "organizations": len(builder.orgs),
        "branches": len(builder.branches),
        "members": written,
        "seconds": round(time.monotonic() - started, 1),
        "accounts": accounts,
    }


def create_demo_accounts(builder: DemoBuilder, ids: dict[str, int]) -> dict:
    """The six demo accounts (demo mode only), created through the audited account actions."""
    if settings.PRODUCTION:
        raise RuntimeError("生产环境不创建演示账号")
    password = settings.DEMO_PASSWORD
    branch = next((b for b in builder.branches if b.member_target >= 10), builder.branches[0])
    branch_org = Organization.objects.get(pk=ids[branch.code])
    district = Organization.objects.get(code="D01")
    made = {}

    def account(username, display, role=None, org=None):
        with transaction.atomic():
            user = account_actions.do_create_account(username=username, password=password, display_name=display)
            if role:
                account_actions.do_assign_role(user, role=role, org=org)
        made[username] = user
        return user

    account("demo_secretary", "演示支部书记", RoleName.SECRETARY, branch_org)
    account("demo_organizer", "演示组织部干部", RoleName.ORG_DEPARTMENT, district)
    member_user = account("demo_member", "演示党员", RoleName.MEMBER, branch_org)
    member = Member.objects.filter(org=branch_org, status=MemberStatus.NORMAL).order_by("id").first()
    Member.objects.filter(pk=member.pk).update(user=member_user)
    member_user.display_name = member.name
    member_user.save(update_fields=["display_name"])
    account("sysadmin", "系统管理员", RoleName.SYSTEM_ADMIN)
    account("secadmin", "安全管理员", RoleName.SECURITY_ADMIN)
    account("auditor", "审计管理员", RoleName.AUDIT_ADMIN)
    seed_dues(branch_org, made["demo_secretary"], builder.rng)
    seed_lifecycle(branch_org, made["demo_secretary"], made["demo_organizer"])
    from dangjian.orgs.governance_demo import seed_committees  # committees and terms (换届)

    seed_committees(branch_org, district, made["demo_secretary"], made["demo_organizer"])
    from dangjian.orglife.demo import seed_orglife  # organisational life (组织生活)

    seed_orglife(branch_org, district, made["demo_secretary"], made["demo_organizer"])
    from dangjian.recruitment.demo import seed_recruitment  # recruitment (发展党员)

    seed_recruitment(branch_org, made["demo_secretary"], made["demo_organizer"])
    return {name: user.pk for name, user in made.items()}


def seed_dues(branch: Organization, secretary, rng) -> None:
    """The demo branch's dues this year, through the dues actions: standards, bills, payments, a few arrears."""
    from dangjian.dues import actions as dues
    from dangjian.dues.months import add_months, month_of

    today = dt.date.today()
    current, january = month_of(today), dt.date(today.year, 1, 1)
    members = list(Member.objects.filter(org=branch, status=MemberStatus.NORMAL).order_by("id"))
    for index, member in enumerate(members):
        start = max(january, month_of(member.joined_on))
        retired = member.occupation_category == "retired"
        base = f"{rng.randrange(2500, 14000) // 10 * 10}"
        dues.do_set_standard(member, category="retired" if retired else "employed", base=base,
                             base_kind="" if retired else "monthly", effective_from=start, actor=secretary)
        months = [m for m in (add_months(january, n) for n in range(12)) if start <= m <= current]
        behind = 0 if index % 7 else (7 if index == 7 else 4)  # a few members in arrears (this month is not yet due)
        paid = months[: max(len(months) - behind, 0)]
        first_allowed = add_months(current, -6)
        paid = [m for m in paid if m >= first_allowed]
        if paid:
            dues.do_record_payment(member, months=paid, actor=secretary, idempotency_key=f"demo-{member.pk}")
    for month in (add_months(current, -n) for n in range(7)):
        if month >= january:
            dues.do_generate_bills(branch, month, actor=secretary)


def seed_lifecycle(branch: Organization, secretary, organizer) -> None:
    """A lost-contact member due for a 停止党籍 proposal, a mobile member whose certificate review is overdue, and one
    sanction — through the lifecycle actions, so every step is audited like real work."""
    from dangjian.members import actions as member_actions
    from dangjian.members.periods import add_months

    today = dt.date.today()
    members = list(Member.objects.filter(org=branch, status=MemberStatus.NORMAL, user__isnull=True).order_by("id")[:3])
    if len(members) < 3:
        return
    lost, mobile, sanctioned = members
    member_actions.do_record_absence(lost, kind="lost_contact", since=add_months(today, -7),
                                     note="手机停机，原住址已搬离", actor=secretary)
    member_actions.do_record_contact(lost, on=add_months(today, -1), method="visit", reached=False,
                                     note="走访原住址，邻居不知去向", actor=secretary)
    issued = add_months(today, -13)
    member_actions.do_register_mobile_outflow(mobile, data={
        "destination": "广东省深圳市南山区", "out_since": issued, "reason": "外出务工",
        "certificate_number": f"LD{issued:%Y}-{mobile.pk:05d}", "certificate_issued_on": issued,
        "certificate_valid_until": add_months(issued, 36)}, actor=secretary)
    member_actions.do_record_contact(mobile, on=add_months(today, -2), method="phone", reached=True,
                                     note="在深圳一家电子厂工作，已参加流入地组织生活", actor=secretary)
    start = add_months(today, -3)
    member_actions.do_record_disciplinary_action(sanctioned, data={
        "kind": "warning", "decided_on": start, "deciding_body": "中共示范区纪律检查委员会",
        "document_number": f"示纪〔{start:%Y}〕1号", "starts_on": start, "ends_on": None,
        "reason": "违反工作纪律，未按规定履行审批程序（演示数据）"}, actor=organizer)
