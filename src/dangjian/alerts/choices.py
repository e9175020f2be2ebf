from django.db import models


class Level(models.TextChoices):
    GREEN = "green", "绿灯"
    YELLOW = "yellow", "黄灯"
    RED = "red", "红灯"


LEVEL_RANK = {Level.GREEN: 0, Level.YELLOW: 1, Level.RED: 2}


class Subject(models.TextChoices):
    ORG = "org", "党组织"
    MEMBER = "member", "党员"


class TaskState(models.TextChoices):
    OPEN = "open", "待签收"
    ACKNOWLEDGED = "acknowledged", "整改中"
    RECTIFIED = "rectified", "已整改，待上级核验"
    CLOSED = "closed", "已核验销号"


OPEN_STATES = (TaskState.OPEN, TaskState.ACKNOWLEDGED, TaskState.RECTIFIED)


class StepKind(models.TextChoices):
    OPENED = "opened", "发起督办"
    ACKNOWLEDGED = "acknowledged", "签收"
    RECTIFIED = "rectified", "报告整改情况"
    VERIFIED = "verified", "上级核验通过，销号"
    SENT_BACK = "sent_back", "上级核验未通过，退回整改"
    REOPENED = "reopened", "问题复现，重新督办"
    ESCALATED = "escalated", "逾期未整改，提级督办"
