"""Vocabulary and generators shared by the benchmarks' synthetic archives (run as
`python bench/<script>.py`, so this module is importable as `synthetic`): catalogue titles, and
the annual performance reports of ten counties × ten bureaus that bench_scale.py multiplies."""

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # corpora.build_sample

from corpora.build_sample import FOCUS as SAMPLE_FOCUS

TOPICS = [
    "招工",
    "转正定级",
    "退休审批",
    "知青安置",
    "工资调整",
    "劳动合同",
    "职工调动",
    "工伤认定",
    "技术职称",
    "奖惩",
]
NAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
# Mostly open records, some not yet open: the mix a county catalogue has.
STATUSES = ["开放"] * 8 + ["控制使用", "未审核"]

COUNTIES = ["青山县", "东川县", "河口县", "白沙县", "柳河县", "石桥县", "双庙县", "东岭县", "青龙县", "红旗县"]
UNITS = ["档案馆", "劳动局", "财政局", "教育局", "卫生健康局", "民政局", "农业农村局", "水利局", "交通运输局", "统计局"]
KINDS = ["请示", "批复", "报告", "通知", "名册", "审批表"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "国建明华文军平志伟新英秀兰芳玉珍海林生立德春"
FOCUS = list(SAMPLE_FOCUS)  # the sample corpus's own priorities: one list for both


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def money(rng: random.Random, low: int, high: int) -> str:
    return f"{rng.randint(low * 100, high * 100) / 100:.2f}万元"


def report_lines(rng: random.Random, county: str, unit: str, year: int) -> list[tuple[int, str]]:
    """(page, line) of a five-page annual performance report, headings on their own lines."""
    org = f"{county}{unit}"
    sections: list[list[str]] = [
        [
            "一、部门基本情况",
            "（一）部门职能",
            f"{org}主要职责是：负责本系统档案资料的形成、积累和归档；负责有关业务的统计、监督和指导；"
            f"承担县委、县政府交办的其他任务。纳入{year}年度部门决算编制范围的单位只有{org}本级。",
            "（二）人员情况",
            f"截至{year}年12月31日，我单位编制{rng.randint(8, 60)}人，实有{rng.randint(8, 60)}人，其中管理人员"
            f"{rng.randint(2, 12)}人、专业技术人员{rng.randint(2, 30)}人、工勤技能人员{rng.randint(1, 6)}人；"
            f"离退休人员{rng.randint(3, 40)}人。",
            "（三）年度工作重点",
            f"{year}年，我单位重点抓好以下工作：一是{rng.choice(FOCUS)}；二是{rng.choice(FOCUS)}；"
            f"三是{rng.choice(FOCUS)}；四是持续推进安全体系建设。",
        ],
        [
            "二、一般公共预算支出情况",
            f"{year}年度一般公共预算支出{money(rng, 150, 900)}，比上年增加{money(rng, 1, 60)}。主要原因是人员"
            "工资正常晋档调标，同时信息化等项目支出有所增加。",
            "（一）基本支出",
            f"基本支出{money(rng, 100, 600)}，其中：人员经费{money(rng, 80, 500)}，主要包括基本工资、津贴补贴、"
            f"奖金、绩效工资等；公用经费{money(rng, 10, 90)}，主要包括办公费、印刷费、水电费、差旅费等。",
            "（二）项目支出",
            f"项目支出{money(rng, 20, 300)}，主要用于档案数字化加工、库房设施设备维护、编研出版等专项工作。",
        ],
        [
            "三、部门整体支出绩效情况",
            f"经自评，部门整体支出绩效得分{rng.randint(80, 99)}.{rng.randint(0, 9)}分，评价等级为“"
            f"{rng.choice(['优', '良'])}”。",
            "（一）查阅利用",
            f"全年接待查档{rng.randint(300, 5000):,}人次，提供档案{rng.randint(800, 9000):,}卷次，出具档案证明"
            f"{rng.randint(50, 900)}份。其中民生类查档{rng.randint(100, 3000):,}人次。",
            "（二）档案安全",
            f"全年开展库房安全检查{rng.randint(6, 24)}次，排查整改安全隐患{rng.randint(1, 20)}处；完成"
            f"{rng.randint(2, 12)}套消防及温湿度调控设备的更新维护，全年未发生安全事故。",
            "（三）信息化建设",
            f"完成数字化扫描{rng.randint(10, 900):,}万页，完成目录著录{rng.randint(1, 60):,}万条，截至{year}年底"
            f"数字化率达到{rng.randint(20, 95)}.{rng.randint(0, 99):02d}%。",
        ],
        [
            "四、存在的主要问题",
            f"一是库房容量趋于饱和，使用率已超过{rng.randint(80, 98)}%；二是专业技术人才不足，信息化建设"
            "主要依靠外部服务；三是绩效目标设置不够细化，可量化、可考核的指标偏少。",
        ],
        [
            "五、改进措施和建议",
            "加快数字化进度，优先完成利用频率高的民生档案；通过公开招聘、业务培训等方式培养专业人才；"
            "按照可量化、可考核的原则细化绩效指标，将评价结果作为下年度预算安排的重要依据。",
        ],
    ]
    return [(page, line) for page, lines in enumerate(sections, start=1) for line in lines]
