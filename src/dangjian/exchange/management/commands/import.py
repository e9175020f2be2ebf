"""dangjian import members|orgs FILE --org CODE --user NAME [--dry-run] [--keep-valid]; resume / template."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangjian.core import context
from dangjian.orgs.models import Organization

from ... import actions, jobs, workbooks
from ...commandline import cli_actor
from ...models import ImportJob

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "从 Excel/CSV 导入党员或党组织（先校验全部行，再一次性提交）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        for kind, label in (("members", "党员"), ("orgs", "党组织")):
            p = sub.add_parser(kind, help=f"导入{label}")
            p.add_argument("file", help=".xlsx、.xls 或 .csv 文件")
            p.add_argument("--org", help="数据所属的党组织代码（行中可写其下级组织的代码或全称）",
                           required=kind == "members")
            p.add_argument("--user", help="以该账号的身份导入（默认取环境变量 DANGJIAN_USER）")
            p.add_argument("--dry-run", action="store_true", help="只校验，不导入")
            p.add_argument("--keep-valid", action="store_true", help="有错误时仍导入无误的行")
            p.add_argument("--errors", help="错误报告 .xlsx 的保存路径（默认：与文件同目录的 *.errors.xlsx）")
        p = sub.add_parser("resume", help="继续一个中断的导入任务")
        p.add_argument("job", type=int)
        p.add_argument("--user")
        p = sub.add_parser("template", help="生成导入模板")
        p.add_argument("kind", choices=["members", "orgs"])
        p.add_argument("out")

    def handle(self, *args, verb, **options):
        if verb == "template":
            Path(options["out"]).write_bytes(workbooks.template(options["kind"]))
            self.stdout.write(f"模板已保存：{options['out']}")
            return
        context.use_context(source="cli", request_id=f"cli-{os.getpid()}")
        actor = cli_actor(options.get("user"))
        if verb == "resume":
            job = ImportJob.objects.restrict(actor).filter(pk=options["job"]).first()
            if job is None:
                raise CommandError(f"导入任务 #{options['job']} 不存在，或不是账号 {actor.username} 发起的")
            job = jobs.run(job)
            self._report(job, None)
            return
        self._import(verb, actor, **options)

    def _import(self, kind, actor, *, file, org, dry_run, keep_valid, errors, **_):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        root = self._root(org, actor, kind)
        try:
            job = actions.do_start_import(
                kind=kind, file_name=path.name, data=path.read_bytes(), root_org=root, actor=actor,
                keep_valid=keep_valid, commit=not dry_run, source="cli", run_now=True)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self._report(job, Path(errors) if errors else path.with_name(path.stem + ".errors.xlsx"), dry_run=dry_run)

    @staticmethod
    def _root(code, actor, kind) -> Organization:
        if code:
            root = Organization.objects.filter(code__iexact=code).first()
            if root is None:
                raise CommandError(f"找不到组织代码为“{code}”的党组织")
            return root
        perm = actions.KIND_PERMS[kind]
        tops = {a.org for a in actor.assignments_for(perm) if a.org is not None}
        if len(tops) != 1:
            raise CommandError("请用 --org 指定导入到哪个党组织")
        return tops.pop()

    def _report(self, job: ImportJob, errors_path: Path | None, dry_run: bool = False):
        job.refresh_from_db()
        self.stdout.write(f"{job}（{job.get_kind_display()}，{job.file_name}）：{job.get_state_display()}")
        if job.state == ImportJob.State.FAILED:
            raise CommandError(job.message)
        self.stdout.write(f"  新增 {job.new_count}　更新 {job.updated_count}　无变化 {job.unchanged_count}　"
                          f"有错误 {job.error_count}")
        if job.error_count:
            bad = job.rows.filter(outcome="error").order_by("row_number")
            shown = 0
            for row in bad.iterator():
                for column, reason in row.errors:
                    if shown < SHOWN_ERRORS:
                        self.stdout.write(f"  第 {row.row_number} 行［{column}］{reason}")
                    shown += 1
            if shown > SHOWN_ERRORS:
                self.stdout.write(f"  ……另有 {shown - SHOWN_ERRORS} 处错误见错误报告")
            if errors_path is not None:
                errors_path.write_bytes(workbooks.error_report(job))
                self.stdout.write(f"错误报告：{errors_path}")
        if job.state == ImportJob.State.DONE:
            self.stdout.write(self.style.SUCCESS(job.message))
        elif dry_run:
            self.stdout.write("试运行：未写入任何数据。")
        elif job.state == ImportJob.State.VALIDATED and job.error_count and not job.keep_valid:
            self.stdout.write("存在错误，未导入任何数据。修改后重新导入，或加 --keep-valid 只导入无误的行。")
            sys.exit(1)
        if job.state == ImportJob.State.VALIDATED and job.error_count and dry_run:
            sys.exit(1)
