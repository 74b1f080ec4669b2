from assistant.codes import code_key, codes_in, fonds_of


def test_messy_volume_codes_share_one_key() -> None:
    forms = ["38-1-0045", "３８－１－００４５", "38—1—45", " 38 - 1 - 045 ", "38－1－0045"]
    assert {code_key(f) for f in forms} == {"38-1-45"}


def test_item_codes_tolerate_spaces_dots_retention_words_and_case() -> None:
    forms = ["J001-WS·2016-Y-BGS-0005", "j001-ws · 2016-永久-bgs-5", "J001－WS・2016－Y－BGS－005"]
    assert {code_key(f) for f in forms} == {"J1-WS·2016-Y-BGS-5"}
    assert code_key("0094-WS·2021-定期10年-0533") == code_key("94-WS·2021-D10-533")


def test_different_codes_stay_different() -> None:
    assert code_key("38-1-0045") != code_key("38-1-0054")
    assert code_key("38-1-0045") != code_key("38-2-0045")


def test_codes_found_in_questions() -> None:
    question = "请问３８－１－００４５和J001-WS · 2016-永久-BGS-0005分别是什么？2016年的呢"
    assert codes_in(question) == ["38-1-0045", "J001-WS·2016-Y-BGS-0005"]
    assert codes_in("2023年接待查档多少人次") == []


def test_fonds_is_kept_as_written() -> None:
    assert fonds_of("0127-1-3") == "0127"
    assert fonds_of("J001-WS·2016-Y-BGS-0005") == "J001"
    assert fonds_of("关于退休") is None
