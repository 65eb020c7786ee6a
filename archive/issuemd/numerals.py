"""Chinese numerals, both ways: 三 → 3, 一百零三 → 103, 12 → 十二."""

DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def parse_number(text):
    """Return the integer written as Arabic digits or Chinese numerals, or None."""
    text = text.strip().translate(FULLWIDTH_DIGITS)
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if any(char not in DIGITS and char not in UNITS for char in text):
        return None
    total, section, digit = 0, 0, None
    for char in text:
        if char in DIGITS:
            digit = DIGITS[char]
            continue
        unit = UNITS[char]
        if unit == 10000:
            total += (section + (digit or 0)) * unit
            section, digit = 0, None
        else:
            # 十二 means 12: a unit with no digit before it counts once.
            section += (1 if digit is None else digit) * unit
            digit = None
    return total + section + (digit or 0)


def to_chinese(number):
    """Write a positive integer below 100,000 in Chinese numerals."""
    if not 0 < number < 100000:
        raise ValueError(f"cannot write {number} in Chinese numerals")
    names = "零一二三四五六七八九"
    parts = []
    units = [(10000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, "")]
    pending_zero = False
    for value, unit in units:
        digit, number = divmod(number, value)
        if digit:
            if pending_zero and parts:
                parts.append("零")
            parts.append(names[digit] + unit)
            pending_zero = False
        else:
            pending_zero = True
    text = "".join(parts)
    # 一十二 is written 十二.
    return text[1:] if text.startswith("一十") else text
