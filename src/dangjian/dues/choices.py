from django.db import models


class DuesCategory(models.TextChoices):
    """Who pays how much (党费规定 第二、五、六条)."""

    EMPLOYED = "employed", "在职党员（按月工资）"
    RETIRED = "retired", "离退休党员"
    FARMER = "farmer", "农民党员"
    STUDENT = "student", "学生党员"
    UNEMPLOYED = "unemployed", "下岗失业党员"
    LOW_INCOME = "low_income", "依靠离退休费、抚恤或救济生活，或领取最低生活保障的党员"


class BaseKind(models.TextChoices):
    """What the base of an employed member is (第一、三、四条)."""

    MONTHLY = "monthly", "每月工资收入中相对固定、经常性的部分（税后）"
    ANNUAL_SALARY = "annual_salary", "年薪制：当月实得工资（税后）"
    SELF_EMPLOYED = "self_employed", "无固定工资收入：上一季度月平均纯收入"


BASED = frozenset({DuesCategory.EMPLOYED, DuesCategory.RETIRED})
