"""The encoding layer: real gold report text wrapped in small HTML, encoded every way pages are."""

from __future__ import annotations

import codecs
import pickle
import random
import re
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from support import SHARED

from cleaners import encoding
from cleaners.document import Rejected
from cleaners.encoding import (
    _UNCOUNTED_ASCII,
    MOJIBAKE_THRESHOLD,
    Decoded,
    _char_weight,
    _counted,
    decode_html,
    decode_text,
    mojibake_score,
    repair_extracted_text,
    repair_mojibake,
)

GOLD_FILES = sorted((SHARED / "gold").glob("*.txt"))

# Simplified -> traditional for the characters the gold reports use most (Big5 cannot encode
# simplified forms); gold lines that then encode in Big5 make the traditional test text.
SIMPLIFIED_TRADITIONAL_PAIRS = """区區 实實 进進 设設 务務 动動 强強 发發 项項 个個 续續 开開 业業 点點 会會 场場 创創 级級
现現 国國 标標 质質 长長 资資 静靜 为為 办辦 经經 运運 领領 园園 应應 类類 济濟 数數 坚堅 对對 达達
协協 计計 联聯 综綜 层層 积積 断斷 规規 产產 护護 环環 专專 调調 时時 稳穩 关關 单單 处處 电電 决決
线線 条條 态態 间間 盖蓋 际際 评評 户戶 总總 镇鎮 织織 题題 广廣 组組 监監 学學 营營 试試 华華 转轉
风風 张張 装裝 旧舊 众眾 验驗 导導 员員 细細 额額 统統 头頭 丽麗 两兩 巩鞏 启啟 医醫 险險 责責 预預
举舉 扩擴 帮幫 减減 养養 亿億 内內 来來 势勢 轮輪 难難 费費 挥揮 问問 苏蘇 贯貫 过過 卫衛 围圍 结結
报報 块塊 们們 顾顧 树樹 温溫 职職 显顯 优優 议議 体體 这這 让讓 从從 与與 于於 书書 农農 机機 构構
术術 当當 纪紀 绿綠 宁寧 东東 车車 门門 见見 观觀 财財 贸貿 销銷 节節 约約 严嚴 乡鄉 艺藝 馆館 厅廳
划劃 认認 识識 证證 说說 语語 读讀 论論 访訪 讯訊 购購 贷貸 负負 贡貢 货貨 赛賽 较較 输輸 边邊 还還
远遠 连連 选選 钱錢 铁鐵 银銀 链鏈 阳陽 阶階 陆陸 随隨 顶頂 须須 顺順 频頻 飞飛 驱驅 齐齊 龙龍 岁歲
历歷 压壓 县縣 参參 双雙 变變 号號 叶葉 响響 执執 扬揚 权權 极極 样樣 桥橋 检檢 楼樓 气氣 汇匯 满滿
灾災 热熱 爱愛 状狀 独獨 画畫 畅暢 疗療 矿礦 码碼 确確 礼禮 种種 称稱 筑築 简簡 粮糧 紧緊 红紅 纳納
练練 终終 给給 络絡 绝絕 继繼 绩績 维維 缓緩 编編 缩縮 网網 荣榮 药藥 获獲 补補 视視 觉覺 订訂 训訓
记記 讲講 许許 诚誠 话話 询詢 该該 误誤 请請 课課 谈談 谋謀 贴貼 贵貴 赏賞 践踐 轻輕 载載 辆輛 辖轄
迁遷 违違 适適 遗遺 邮郵 邻鄰 释釋 针針 钟鐘 错錯 闻聞 队隊 阴陰 陈陳 颜顏 饮飲 驾駕 鲜鮮 兴興 党黨
习習 彻徹 带帶 万萬 么麼 乐樂 买買 争爭 亲親 伟偉 传傳 价價 侨僑 债債 儿兒 兰蘭 冲衝 况況 净淨 击擊
则則 剂劑 劳勞 卖賣 厉厲 听聽 团團 图圖 圆圓 担擔 拟擬 拥擁 择擇 挤擠 损損 换換 据據 摄攝 摆擺 敌敵
无無 杀殺 杂雜 杨楊 枢樞 栋棟 欧歐 残殘 汤湯 沟溝 沪滬 测測 浓濃 涨漲 渐漸 湾灣 湿濕 滨濱 灭滅 灯燈
灵靈 烟煙 牵牽 础礎 竞競 签簽 纠糾 纲綱 纷紛 纸紙 纺紡 绕繞 缴繳 肤膚 胜勝 脑腦 腾騰 艰艱 荐薦 蓝藍
虽雖 讨討 诊診 译譯 诸諸 谁誰 谓謂 谢謝 贝貝 贤賢 败敗 账賬 贫貧 贺賀 赋賦 赖賴 赢贏 赵趙 趋趨 跃躍
软軟 辅輔 辉輝 辩辯 迈邁 钢鋼 铜銅 铺鋪 锁鎖 键鍵 闭閉 阅閱 顿頓 饭飯 驻駐 鱼魚 鸡雞 麦麥 韧韌 筹籌
织織 惠惠 质質 态態 厂廠 库庫 储儲 备備 馈饋 范範 围圍 闲閒 标標 仅僅 俭儉 优優 侧側 冻凍 凤鳳 凯凱
创創 剧劇 办辦 劝勸 务務 动動 励勵 劲勁 勋勳 华華 卢盧 厦廈 厨廚 县縣 叙敘 吴吳 员員 围圍 园園 坛壇
垒壘 执執 夺奪 奋奮 妇婦 娱娛 学學 孙孫 宝寶 实實 宽寬 宾賓 对對 寻尋 导導 尽盡 层層 屿嶼 岛島 峰峰
帅帥 师師 帐帳 幂冪 庄莊 应應 库庫 庙廟 废廢 开開 异異 弃棄 张張 弹彈 强強 归歸 录錄 彦彥 径徑 忆憶
怀懷 态態 恋戀 恳懇 恶惡 悬懸 惊驚 惯慣 愿願 戏戲 战戰 户戶 扑撲 执執 扩擴 扫掃 扰擾 抚撫 护護 抢搶
拦攔 拨撥 择擇 挂掛 挡擋 捡撿 据據 掘掘 揽攬 搀攙 携攜 摊攤 撑撐 效效 敛斂 斋齋 旅旅 时時 昼晝 显顯
晋晉 晓曉 暂暫 术術 朴樸 杂雜 条條 杰傑 松鬆 极極 构構 枪槍 柜櫃 栏欄 树樹 样樣 档檔 桥橋 梦夢 检檢
椭橢 业業 横橫 欢歡 毕畢 毙斃 气氣 汉漢 污污 沉沉 沦淪 泪淚 泽澤 洁潔 浅淺 浆漿 济濟 浑渾 涂塗 润潤
涌湧 渊淵 渔漁 温溫 滚滾 滞滯 滤濾 潜潛 灿燦 炉爐 烂爛 烦煩 烧燒 焕煥 爷爺 牺犧 犹猶 狱獄 猎獵 献獻
玛瑪 环環 现現 琐瑣 电電 疯瘋 盐鹽 监監 盘盤 着著 矫矯 砖磚 硕碩 碍礙 祸禍 离離 秃禿 秆稈 积積 穷窮
窃竊 窍竅 笔筆 笼籠 类類 粪糞 纤纖 纯純 纹紋 线線 细細 绍紹 绑綁 绘繪 绪緒 续續 综綜 缆纜 缘緣 罚罰
罗羅 职職 联聯 聪聰 肃肅 肠腸 肿腫 胁脅 胆膽 脉脈 脏臟 舰艦 舱艙 苍蒼 茧繭 莱萊 萝蘿 营營 萧蕭 蚀蝕
补補 袭襲 览覽 誉譽 谐諧 谨謹 谱譜 贩販 贪貪 赔賠 赞贊 赶趕 踪蹤 轨軌 辈輩 辽遼 迟遲 递遞 逻邏 邓鄧
郑鄭 酝醞 醉醉 鉴鑒 钻鑽 铝鋁 锅鍋 锦錦 锻鍛 闪閃 闯闖 阔闊 隐隱 隶隸 雾霧 须須 颁頒 饱飽 驶駛 骗騙
鲁魯 齿齒 龄齡 伞傘 丰豐 临臨 为為 丽麗 举舉 义義 乌烏 乔喬 习習 书書 买買 乱亂 亏虧 云雲 亚亞 产產
亩畝 亲親 亿億 仪儀 们們 众眾 优優 伙夥 会會 伤傷 伦倫 伪偽 体體 余餘 侠俠 侣侶 侦偵 俩倆 俭儉 债債
倾傾 偿償 储儲 兑兌 党黨 兰蘭 关關 兴興 养養 兽獸 冈岡 册冊 写寫 军軍 农農 冯馮 冲衝 决決 况況 冻凍
凉涼 减減 凑湊 几幾 凭憑 击擊 凿鑿 刘劉 则則 刚剛 创創 删刪 别別 刹剎 剂劑 剑劍 剥剝 剧劇 劝勸 办辦
务務 动動 劳勞 势勢 勋勳 区區 医醫 华華 协協 单單 卖賣 卫衛 却卻 厂廠 厅廳 历歷 厉厲 压壓 厌厭 厕廁
县縣 叁參 参參 双雙 发發 变變 叠疊 叶葉 号號 叹嘆 吓嚇 吕呂 吗嗎 启啟 吴吳 呐吶 员員 呜嗚 咏詠 响響
哗嘩 唤喚 啸嘯 喷噴 嘱囑 团團 园園 困困 围圍 图圖 圆圓 圣聖 场場 坏壞 块塊 坚堅 坛壇 坝壩 坞塢 坟墳
坠墜 垄壟 垦墾 垫墊 埋埋 堕墮 墙牆 壮壯 声聲 壳殼 壶壺 处處 备備 复復 够夠 头頭 夸誇 夹夾 夺奪 奋奮
奖獎 奥奧 妆妝 妇婦 妈媽 姜薑 娄婁 娇嬌 娱娛 婴嬰 孙孫 学學 宁寧 宝寶 实實 审審 宪憲 宫宮 宽寬 宾賓
寝寢 对對 寻尋 导導 寿壽 将將 尔爾 尘塵 尝嘗 层層 属屬 岁歲 岂豈 岗崗 岭嶺 岳嶽 峡峽 币幣 帅帥 师師
帐帳 帜幟 带帶 帮幫 库庫 应應 庙廟 废廢 开開 异異 弯彎 弹彈 强強 归歸 当當 录錄 彻徹 征徵 忆憶 忧憂
怀懷 态態 总總 恒恆 恳懇 恶惡 恼惱 悦悅 悬懸 惊驚 惧懼 惨慘 惩懲 惯慣 愤憤 愿願 懒懶 戏戲 战戰 户戶
扑撲 执執 扩擴 扫掃 扬揚 扰擾 抚撫 抛拋 抢搶 护護 报報 担擔 拟擬 拢攏 拣揀 拥擁 拦攔 拨撥 择擇 挂掛
挚摯 挟挾 挡擋 挣掙 挤擠 挥揮 捞撈 损損 捡撿 换換 捣搗 据據 掳擄 掷擲 掸撣 掺摻 揽攬 搀攙 搁擱 搂摟
搅攪 携攜 摄攝 摆擺 摇搖 摊攤 撑撐 撵攆 擞擻 敌敵 敛斂 数數 斋齋 斩斬 断斷 无無 旧舊 时時 旷曠 昙曇
昼晝 显顯 晋晉 晒曬 晓曉 晕暈 暂暫 术術 机機 杀殺 杂雜 权權 杆桿 条條 来來 杨楊 极極 构構 枢樞 枣棗""".split()


def gold_texts() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in GOLD_FILES]


@pytest.fixture(scope="module")
def report() -> str:
    """A whole gold report (003, a district work summary)."""
    return (SHARED / "gold" / "003.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def traditional() -> str:
    table = str.maketrans({pair[0]: pair[1] for pair in SIMPLIFIED_TRADITIONAL_PAIRS})
    lines = [line.translate(table) for text in gold_texts() for line in text.splitlines()]
    text = "\n".join(line for line in lines if encodes(line, "big5"))
    assert len(text) > 2000
    return text


@pytest.fixture(scope="module")
def reversible_utf8_as_gbk() -> tuple[str, str]:
    """Gold clauses whose UTF-8 bytes decode strictly as GBK: (clean, garbled) with nothing lost."""
    clauses = [c for c in re.split(r"[，。；：、\n“”（）《》]", gold_texts()[3]) if len(c) >= 4]
    pairs = [(c, c.encode("utf-8").decode("gb18030")) for c in clauses if decodes(c.encode("utf-8"), "gb18030")]
    assert len(pairs) > 50
    return "\n".join(clean for clean, _ in pairs), "\n".join(garbled for _, garbled in pairs)


def encodes(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def decodes(raw: bytes, codec: str) -> bool:
    try:
        raw.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def page(body: str, meta: str | None = None, meta_style: str = "charset", title: str = "政府工作报告") -> str:
    """A small HTML page around `body`, optionally declaring `meta` as its charset."""
    if meta is None:
        declaration = ""
    elif meta_style == "charset":
        declaration = f'<meta charset="{meta}">'
    else:
        declaration = f'<meta http-equiv="Content-Type" content="text/html; charset={meta}">'
    # split("\n"), not splitlines(): mojibake contains U+0085 and U+001C, which splitlines breaks on.
    paragraphs = "".join(f"<p>{line}</p>\n" for line in body.split("\n"))
    return (
        f"<!DOCTYPE html>\n<html><head>{declaration}\n<title>{title}</title></head>\n"
        f"<body><div class=\"content\">\n{paragraphs}</div></body></html>\n"
    )


def html_type(charset: str | None) -> str:
    return f"text/html; charset={charset}" if charset else "text/html"


def sloppy_cp1252(raw: bytes) -> str:
    """Bytes as a browser shows them under windows-1252: its five holes become C1 controls."""
    return "".join(chr(byte) if byte in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([byte]).decode("cp1252") for byte in raw)


# --- declarations --------------------------------------------------------------------------


def test_header_only_declaration_is_used_without_consulting_chardet(report: str) -> None:
    html = page(report)
    decoded = decode_html(html.encode("gbk"), "text/html; charset=GBK")
    assert decoded == Decoded(html, "gb18030", "gbk", "gbk", None, None, False)


@pytest.mark.parametrize("meta_style", ["charset", "http-equiv"])
def test_meta_only_declaration(report: str, meta_style: str) -> None:
    html = page(report, "gb2312", meta_style)
    decoded = decode_html(html.encode("gb18030"), None)
    assert decoded.text == html
    assert (decoded.used, decoded.declared, decoded.declared_header, decoded.declared_meta) == (
        "gb18030",
        "gb2312",
        None,
        "gb2312",
    )
    assert decoded.detected is None


def test_header_and_meta_agree(report: str) -> None:
    html = page(report, "utf-8")
    decoded = decode_html(html.encode("utf-8"), "text/html; charset=UTF-8")
    assert (decoded.text, decoded.used, decoded.declared_header, decoded.declared_meta) == (html, "utf-8", "utf-8", "utf-8")


def test_header_lies_and_meta_tells_the_truth(report: str) -> None:
    html = page(report, "gbk")
    decoded = decode_html(html.encode("gbk"), html_type("utf-8"))
    assert (decoded.text, decoded.used, decoded.repaired) == (html, "gb18030", False)
    assert decoded.declared == "utf-8"  # the header wins for reporting, even when it lied
    assert decoded.declared_meta == "gbk"


def test_meta_lies_and_header_tells_the_truth(report: str) -> None:
    html = page(report, "utf-8")
    decoded = decode_html(html.encode("gbk"), html_type("gb2312"))
    assert (decoded.text, decoded.used) == (html, "gb18030")
    assert (decoded.declared_header, decoded.declared_meta) == ("gb2312", "utf-8")


def test_meta_declares_big5_but_the_page_is_gbk(report: str) -> None:
    html = page(report, "big5")
    decoded = decode_html(html.encode("gbk"), None)
    assert (decoded.text, decoded.used, decoded.detected) == (html, "gb18030", "gb18030")


@pytest.mark.parametrize("codec, expected", [("utf-8", "utf-8"), ("gbk", "gb18030"), ("gb18030", "gb18030")])
def test_no_declaration_at_all(report: str, codec: str, expected: str) -> None:
    html = page(report)
    decoded = decode_html(html.encode(codec), None)
    assert (decoded.text, decoded.used, decoded.declared) == (html, expected, None)


def test_utf8_page_declared_as_gb2312(report: str) -> None:
    html = page(report, "gb2312")
    decoded = decode_html(html.encode("utf-8"), html_type("gb2312"))
    assert (decoded.text, decoded.used, decoded.repaired) == (html, "utf-8", False)


def test_short_utf8_page_declared_gbk_that_also_decodes_strictly_as_gb18030() -> None:
    # gb18030 accepts these bytes, so strict decoding alone would trust the wrong declaration.
    body = "<p>加强</p>".encode()
    assert decodes(body, "gb18030")
    assert decode_html(body, html_type("gbk")).text == "<p>加强</p>"


def test_gbk_page_declared_as_utf8(report: str) -> None:
    html = page(report, "utf-8")
    decoded = decode_html(html.encode("gbk"), html_type("utf-8"))
    assert (decoded.text, decoded.used, decoded.detected) == (html, "gb18030", "gb18030")


def test_unknown_charset_label_falls_back_to_detection(report: str) -> None:
    html = page(report, "x-no-such-charset")
    decoded = decode_html(html.encode("gbk"), html_type("klingon"))
    assert (decoded.text, decoded.used, decoded.declared) == (html, "gb18030", "klingon")


def test_one_corrupt_byte_does_not_discard_a_declaration(report: str) -> None:
    raw = page(report, "gbk").encode("gbk")
    middle = len(raw) // 2
    corrupt = raw[:middle] + b"\xff" + raw[middle:]
    decoded = decode_html(corrupt, None)
    assert decoded.used == "gb18030"
    assert decoded.text.count("\ufffd") == 1


# --- byte-order marks ----------------------------------------------------------------------


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_bom_wins_over_every_declaration(report: str, bom: bytes, codec: str) -> None:
    html = page(report, "gbk")
    decoded = decode_html(bom + html.encode(codec), html_type("big5"))
    assert (decoded.text, decoded.used) == (html, codec)
    assert not decoded.text.startswith("\ufeff")


# --- the GB family and Big5 ----------------------------------------------------------------


def test_gb18030_only_characters_survive_a_gb2312_declaration(report: str) -> None:
    extra = "㐀𠀀€·"
    assert not any(encodes(char, "gbk") for char in "𠀀")
    body = report[:400] + extra + report[400:]
    html = page(body, "gb2312")
    decoded = decode_html(html.encode("gb18030"), html_type("GB2312"))
    assert (decoded.text, decoded.used) == (html, "gb18030")


@pytest.mark.parametrize("header, meta", [(None, "big5"), ("big5", None), (None, None)])
def test_big5_traditional_text(traditional: str, header: str | None, meta: str | None) -> None:
    html = page(traditional, meta, title="政府工作報告")
    decoded = decode_html(html.encode("big5"), html_type(header))
    assert (decoded.text, decoded.used) == (html, "big5")
    if header is None and meta is None:
        assert decoded.detected == "big5"


def test_big5_page_declared_gbk_is_not_taken_at_its_word(traditional: str) -> None:
    # Big5 bytes also decode strictly as gb18030; only the plausibility signal tells them apart.
    html = page(traditional, "gbk", title="政府工作報告")
    assert decodes(html.encode("big5"), "gb18030")
    decoded = decode_html(html.encode("big5"), None)
    assert (decoded.text, decoded.used) == (html, "big5")


# --- mojibake ------------------------------------------------------------------------------


def test_utf8_read_as_gbk_is_repaired(reversible_utf8_as_gbk: tuple[str, str]) -> None:
    clean, garbled = reversible_utf8_as_gbk
    decoded = decode_html(page(garbled, "utf-8").encode("utf-8"), None)
    assert decoded.repaired
    assert decoded.text == page(clean, "utf-8")


def test_utf8_read_as_gbk_served_as_gbk_is_repaired(reversible_utf8_as_gbk: tuple[str, str]) -> None:
    clean, garbled = reversible_utf8_as_gbk
    decoded = decode_html(page(garbled, "gbk").encode("gb18030"), html_type("gbk"))
    assert (decoded.text, decoded.used, decoded.repaired) == (page(clean, "gbk"), "gb18030", True)


def test_lossy_utf8_read_as_gbk_is_rejected(report: str) -> None:
    garbled = report.encode("utf-8").decode("gbk", errors="replace")
    with pytest.raises(Rejected) as rejected:
        decode_html(page(garbled, "utf-8").encode("utf-8"), None)
    assert rejected.value.reason == "mojibake"


@pytest.mark.parametrize("misread", [lambda raw: raw.decode("latin-1"), sloppy_cp1252], ids=["latin-1", "cp1252"])
def test_utf8_read_as_latin1_is_repaired(report: str, misread) -> None:
    garbled = misread(report.encode("utf-8"))
    decoded = decode_html(page(garbled, "utf-8").encode("utf-8"), html_type("utf-8"))
    assert (decoded.text, decoded.repaired) == (page(report, "utf-8"), True)


def test_gbk_read_as_latin1_is_repaired(report: str) -> None:
    garbled = report.encode("gbk").decode("latin-1")
    decoded = decode_html(page(garbled).encode("utf-8"), None)
    assert (decoded.text, decoded.repaired) == (page(report), True)


def test_gbk_page_declared_latin1_is_decoded_not_garbled(report: str) -> None:
    html = page(report, "iso-8859-1")
    decoded = decode_html(html.encode("gbk"), html_type("iso-8859-1"))
    assert (decoded.text, decoded.used, decoded.repaired) == (html, "gb18030", False)


def test_garbled_title_in_a_clean_page_is_repaired_alone(report: str) -> None:
    title = "2023年新华路街道工作总结"
    garbled_title = title.encode("utf-8").decode("latin-1")
    decoded = decode_html(page(report, "utf-8", title=garbled_title).encode("utf-8"), None)
    assert (decoded.text, decoded.repaired) == (page(report, "utf-8", title=title), True)


def test_repair_mojibake_returns_none_when_information_was_lost(report: str) -> None:
    assert repair_mojibake(report.encode("utf-8").decode("gbk", errors="replace")) is None


def test_repair_mojibake_undoes_each_misreading(report: str, reversible_utf8_as_gbk: tuple[str, str]) -> None:
    clean, garbled = reversible_utf8_as_gbk
    assert repair_mojibake(garbled) == clean
    assert repair_mojibake(report.encode("utf-8").decode("latin-1")) == report
    assert repair_mojibake(report.encode("gbk").decode("latin-1")) == report


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda path: path.name)
def test_clean_gold_scores_far_below_the_threshold(path: Path) -> None:
    assert mojibake_score(path.read_text(encoding="utf-8")) < MOJIBAKE_THRESHOLD / 10


@pytest.mark.parametrize(
    "garble",
    [
        lambda text: text.encode("utf-8").decode("gb18030", errors="replace"),
        lambda text: text.encode("utf-8").decode("latin-1"),
        lambda text: sloppy_cp1252(text.encode("utf-8")),
        lambda text: text.encode("gbk").decode("latin-1"),
        lambda text: text.encode("gbk").decode("big5hkscs", errors="replace"),
        lambda text: text.encode("gbk").decode("utf-8", errors="replace"),
    ],
    ids=["utf8-as-gbk", "utf8-as-latin1", "utf8-as-cp1252", "gbk-as-latin1", "gbk-as-big5", "gbk-as-utf8"],
)
def test_garbled_gold_scores_far_above_the_threshold(garble) -> None:
    for text in gold_texts():
        assert mojibake_score(garble(text)) > 4 * MOJIBAKE_THRESHOLD


def test_latin_text_and_cjk_punctuation_are_not_mojibake() -> None:
    assert mojibake_score("Café, naïve, Straße — 15°C ± 2") == 0.0
    assert mojibake_score("马克思·恩格斯——“一网通办”……") == 0.0
    assert mojibake_score("") == 0.0


def _score_char_by_char(text: str) -> float:
    """mojibake_score's definition, spelt out one character at a time."""
    from cleaners.encoding import _LATIN1_RUN, _LEGIT_IN_CJK, _char_weight

    weights = [weight for weight in map(_char_weight, text) if weight is not None]
    if not weights:
        return 0.0
    # Characters of runs that look like bytes shown as Latin-1 (not the CJK punctuation ones), C1 controls left out.
    runs = [run.group(0) for run in _LATIN1_RUN.finditer(text) if not set(run.group(0)) <= _LEGIT_IN_CJK]
    latin1 = sum(1 for run in runs for char in run if char >= "\u00a0")
    return min(1.0, (sum(weights) + latin1) / len(weights))


_SCORE_ALPHABET = "ab 1\t\n\x00\x1c\x7f\x85\xa0\u3000\u2028中国的政府鍪龘\ufffd\ue000é€“”·—æ”¿åºœ\U00020000\uf900\u0378"


@settings(max_examples=400)
@given(st.lists(st.text(alphabet=_SCORE_ALPHABET, max_size=40), min_size=1, max_size=4))
def test_mojibake_score_counts_every_character_whatever_was_weighed_before(texts: list[str]) -> None:
    # The score weighs each distinct character once and remembers the ones that weigh 0: the
    # result must not depend on which texts were scored before.
    for text in texts:
        mojibake_score.cache_clear()
        _counted.cache_clear()
        assert mojibake_score(text) == pytest.approx(_score_char_by_char(text), abs=1e-12)


def test_mojibake_score_of_real_pages_equals_the_character_by_character_definition() -> None:
    pages = sorted((SHARED / "realworld").rglob("*.htm*"))[:40]
    assert pages
    for page in pages:
        raw = page.read_bytes()
        for codec in ("utf-8", "gb18030", "latin-1"):
            text = raw.decode(codec, errors="replace")
            mojibake_score.cache_clear()
            assert mojibake_score(text) == pytest.approx(_score_char_by_char(text), abs=1e-12), (page.name, codec)


def test_the_characters_cut_out_before_weighing_are_only_those_that_weigh_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # _counted cuts the characters known to weigh 0 out with a regex compiled as they are learnt:
    # what is left to weigh must give the weights of every character of the text, whenever the
    # regex was last compiled. Learnt from nothing here, as in a new worker process.
    monkeypatch.setattr(encoding, "_WEIGHS_NOTHING", set())
    weightless = encoding._Weightless()
    monkeypatch.setattr(encoding, "_WEIGHTLESS", weightless)
    pages = sorted((SHARED / "realworld").rglob("*.htm*"))[:40]
    assert pages
    recompiled = set()
    for page in pages:
        raw = page.read_bytes()
        for codec in ("utf-8", "gb18030", "big5", "latin-1"):
            text = raw.decode(codec, errors="replace")
            _counted.cache_clear()
            rest = _UNCOUNTED_ASCII.sub("", text)
            expected = {char: weight for char in set(rest) if (weight := _char_weight(char)) != 0.0}
            assert _counted(text).weights == expected, (page.name, codec)
            recompiled.add(weightless.known)
    assert len(recompiled) > 2  # the regex was compiled again as characters were learnt


# --- a decoding without its text -----------------------------------------------------------


def _decodings_to_drop(report: str, reversible_utf8_as_gbk: tuple[str, str]) -> list[tuple[str, bytes, str | None]]:
    """Real pages and the cases, and one page down each path of decode_html."""
    pages = sorted((SHARED / "realworld").rglob("*.htm*")) + sorted((SHARED / "cases").rglob("*.htm*"))
    gbk = page(report, "gbk").encode("gbk")
    return [
        *((path.name, path.read_bytes(), None) for path in pages),
        ("bom utf-16", codecs.BOM_UTF16_LE + page(report, "gbk").encode("utf-16-le"), html_type("big5")),
        ("bom utf-8", codecs.BOM_UTF8 + page(report).encode("utf-8"), None),
        ("ascii declared iso-2022-jp", b'<meta charset="iso-2022-jp"><p>\x1b$B0!\x1b(B</p>', None),
        ("one corrupt byte", gbk[: len(gbk) // 2] + b"\xff" + gbk[len(gbk) // 2 :], None),
        ("mojibake repaired", page(reversible_utf8_as_gbk[1], "utf-8").encode("utf-8"), None),
        ("gbk declared utf-8", gbk, html_type("utf-8")),
        ("empty", b"", None),
    ]


def test_a_dropped_text_is_rebuilt_exactly_and_only_a_strict_decoding_is_dropped(
    report: str, reversible_utf8_as_gbk: tuple[str, str]
) -> None:
    dropped = kept = 0
    for name, body, content_type in _decodings_to_drop(report, reversible_utf8_as_gbk):
        try:
            decoded = decode_html(body, content_type)
        except Rejected:
            continue
        light = decoded.without_text()
        assert light.with_text(body) == decoded, name
        assert light.with_text(body).text == decoded.text, name
        if light.text_dropped:
            dropped += 1
            assert light.text == "" and not decoded.repaired, name
        else:
            kept += 1
            assert light is decoded and (decoded.repaired or "\ufffd" in decoded.text), name
        assert light.without_text() == light and decoded.with_text(body) is decoded, name
    assert dropped > 70 and kept >= 2  # real pages drop theirs; the repaired and the corrupt page keep theirs


def test_a_decoding_without_its_text_pickles_small() -> None:
    body = max((path.read_bytes() for path in (SHARED / "realworld").rglob("*.htm*")), key=len)
    decoded = decode_html(body, None)
    assert len(pickle.dumps(decoded)) > len(body) / 2
    assert len(pickle.dumps(decoded.without_text())) < 1024
    assert pickle.loads(pickle.dumps(decoded.without_text())).with_text(body).text == decoded.text


# --- edge cases ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, meta, expected",
    [(None, None, "utf-8"), (None, "ascii", "ascii"), ("gb2312", "ascii", "gb18030"), ("utf-16", None, "utf-8")],
)
def test_pure_ascii_page(header: str | None, meta: str | None, expected: str) -> None:
    html = page("Annual report of the district government.", meta, title="Report")
    decoded = decode_html(html.encode("ascii"), html_type(header))
    assert (decoded.text, decoded.used, decoded.detected, decoded.repaired) == (html, expected, None, False)


def test_empty_body_decodes_to_empty_text() -> None:
    decoded = decode_html(b"", html_type("gbk"))
    assert (decoded.text, decoded.used, decoded.declared) == ("", "gb18030", "gbk")
    assert decode_text(b"", None).text == ""


@pytest.mark.parametrize(
    "body, reason",
    [
        (random.Random(1).randbytes(20_000), "binary"),
        (b"%PDF-1.7\n" + random.Random(2).randbytes(5_000), "binary"),
        (b"\x1f\x8b\x08" + random.Random(3).randbytes(5_000), "binary"),
        (bytes(b for b in random.Random(4).randbytes(20_000) if b >= 0x80), "undecodable"),
        (bytes(b for b in random.Random(5).randbytes(20_000) if b >= 0x20), "undecodable"),
        (b"<html><body>" + bytes(range(1, 32)) * 50 + b"</body></html>", "binary"),
    ],
    ids=["random", "pdf", "gzip", "random-high-bytes", "random-no-controls", "control-characters"],
)
def test_binary_garbage_is_rejected_with_a_clear_reason(body: bytes, reason: str) -> None:
    with pytest.raises(Rejected) as rejected:
        decode_html(body, "text/html")
    assert rejected.value.reason == reason
    assert rejected.value.detail


def test_decode_text_ignores_meta_lookalikes(report: str) -> None:
    text = '示例：<meta charset="big5">\n' + report
    decoded = decode_text(text.encode("gbk"), "text/plain")
    assert (decoded.text, decoded.used, decoded.declared_meta) == (text, "gb18030", None)


def test_meta_late_in_a_long_head_is_still_found(report: str) -> None:
    html = page(report, "gbk").replace("<head>", "<head>" + "<!-- padding -->" * 200)
    decoded = decode_html(html.encode("gbk"), None)
    assert (decoded.declared_meta, decoded.used, decoded.detected) == ("gbk", "gb18030", None)


# --- properties ----------------------------------------------------------------------------

COMMON_CHARS = sorted(
    {char for text in gold_texts() for char in text if mojibake_score(char) == 0.0 and not char.isspace()}
    | set("abcXYZ019 .,;:()<>/\n")
)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(COMMON_CHARS), max_size=300), st.sampled_from(["utf-8", "gb18030"]))
def test_undeclared_text_round_trips(text: str, codec: str) -> None:
    raw = text.encode(codec)
    # Bytes that are also valid UTF-8 are UTF-8 by design (a few GBK characters are valid UTF-8).
    assume(codec == "utf-8" or not decodes(raw, "utf-8") or raw.isascii())
    assert decode_text(raw, None).text == text


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(COMMON_CHARS), min_size=1, max_size=300))
def test_declared_gbk_round_trips_in_html(text: str) -> None:
    html = page(text.replace("<", "").replace(">", ""), "gbk")
    raw = html.encode("gb18030")
    assume(not decodes(raw, "utf-8") or raw.isascii())
    assert decode_html(raw, None).text == html


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(COMMON_CHARS), max_size=300))
def test_text_from_common_characters_never_scores_as_mojibake(text: str) -> None:
    assert mojibake_score(text) <= MOJIBAKE_THRESHOLD


@pytest.mark.parametrize(
    "layout",
    [
        "{g}\n正文第一段，镕基同志。\n",  # a garbled run at the very start
        "正文第一段。\n{g}",  # at the very end
        "正文 {g}:{g} 正文",  # two garbled runs one ASCII character apart
        "{g}{g}\n{g}",  # runs touching, then one after a line break
    ],
)
def test_each_garbled_run_is_repaired_wherever_it_sits(layout: str) -> None:
    clean = "街道工作总结"
    garbled = clean.encode("utf-8").decode("latin-1")
    body = "\n" + "各项工作稳步推进，讲话精神得到落实。" * 40  # mostly clean: runs are repaired one by one
    text = layout.format(g=garbled) + body
    # The rare 镕 stays: it is suspicious but its run is not garbled.
    assert repair_extracted_text(text) == layout.format(g=clean) + body
