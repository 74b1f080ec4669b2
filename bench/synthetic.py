"""Vocabulary shared by the benchmarks' synthetic catalogues (run as `python bench/<script>.py`,
so this module is importable as `synthetic`)."""

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
