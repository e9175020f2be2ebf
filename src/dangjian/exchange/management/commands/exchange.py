"""dangjian exchange export|import|key — signed packages between levels."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts import roles
from dangjian.core import audit, context
from dangjian.core.actions import require
from dangjian.orgs.models import Organization

from ... import actions, package
from ...models import ImportJob
from ...commandline import cli_actor


class Command(BaseCommand):
    help = "上下级之间的数据交换包：导出、校验并导入、配置共享密钥"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        p = sub.add_parser("export", help="导出某党组织及其下级的组织和党员为数据交换包")
        p.add_argument("out")
        p.add_argument("--org", required=True, help="组织代码")
        p.add_argument("--peer", required=True, help="接收方名称（使用与其共享的密钥）")
        p.add_argument("--since", help="只导出该日期（YYYY-MM-DD）以来变更的党员")
        p.add_argument("--user", help="以该账号的身份导出（默认取环境变量 DANGJIAN_USER）")
        p = sub.add_parser("import", help="校验并导入数据交换包（被改动或不完整的包一律拒绝）")
        p.add_argument("package")
        p.add_argument("--org", help="接收该数据包的党组织代码（默认：与包中组织代码相同的党组织）")
        p.add_argument("--user")
        p = sub.add_parser("key", help="配置与对端共享的交换密钥")
        p.add_argument("action", choices=["new", "add", "list"])
        p.add_argument("peer", nargs="?")
        p.add_argument("hex", nargs="?", help="add 时：对端生成的密钥（十六进制）")

    def handle(self, *args, verb, **options):
        context.use_context(source="cli", request_id=f"cli-{os.getpid()}")
        if verb == "key":
            return self._key(**options)
        actor = cli_actor(options.get("user"))
        if verb == "export":
            return self._export(actor, **options)
        return self._import(actor, **options)

    def _key(self, action, peer, hex, **_):
        if action == "list":
            for name in sorted(package.load_keys()):
                self.stdout.write(name)
            return
        if not peer:
            raise CommandError("请给出对端名称，如 district-01")
        if action == "new":
            key = secrets.token_bytes(32)
        else:
            try:
                key = bytes.fromhex(hex or "")
            except ValueError:
                raise CommandError("密钥应为十六进制字符串") from None
            if len(key) < 16:
                raise CommandError("密钥至少 128 位（32 个十六进制字符）")
        try:
            package.add_key(peer, key)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已保存与“{peer}”共享的交换密钥。")
        if action == "new":
            self.stdout.write("请通过安全渠道把下面的密钥交给对端，对端执行 dangjian exchange key add 名称 密钥：")
            self.stdout.write(key.hex())

    def _export(self, actor, out, org, peer, since, **_):
        root = Organization.objects.filter(code=org).first()
        if root is None:
            raise CommandError(f"找不到组织代码为“{org}”的党组织")
        try:
            require(actor, roles.MEMBER_VIEW, root)
        except Exception:
            raise CommandError("该党组织不在此账号的管理范围内") from None
        try:
            day = dt.date.fromisoformat(since) if since else None
        except ValueError:
            raise CommandError("--since 应为 YYYY-MM-DD 格式的日期") from None
        try:
            data, manifest = package.write(root, peer=peer, actor=actor, since=day)
        except package.PackageRefused as exc:
            raise CommandError(str(exc)) from None
        Path(out).write_bytes(data)
        counts = {meta["kind"]: meta["count"] for meta in manifest["files"].values()}
        audit.record("exchange.export", actor=actor, obj=root, after={"peer": peer, "since": since, **counts},
                     detail=f"数据交换包：{root.code} → {peer}")
        self.stdout.write(f"已导出：党组织 {counts['organizations']} 个，党员 {counts['members']} 名 → {out}")

    def _import(self, actor, package, org, **_):
        path = Path(package)
        if not path.is_file():
            raise CommandError(f"找不到文件：{package}")
        root = None
        if org:
            root = Organization.objects.filter(code=org).first()
            if root is None:
                raise CommandError(f"找不到组织代码为“{org}”的党组织")
        try:
            done = actions.do_import_package(path.read_bytes(), file_name=path.name, actor=actor, root_org=root)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        for job in done:
            self.stdout.write(f"{job.get_kind_display()}：{job.message}")
            for row in job.rows.filter(outcome="error").order_by("row_number")[:50]:
                for column, reason in row.errors:
                    self.stdout.write(f"  第 {row.row_number - 1} 条［{column}］{reason}")
        if any(job.state != ImportJob.State.DONE for job in done):
            raise CommandError("数据交换包未能全部导入（见上）")
