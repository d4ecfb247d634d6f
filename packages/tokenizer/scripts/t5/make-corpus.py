#!/usr/bin/env python3
"""Writes the T5 tokenizer fixtures' texts: models/fixtures/t5-tokenizer/train.txt (what the small
SentencePiece models are trained on) and prompts.json (the parity corpus the tests run).

Both are made here from word lists and hand-written prompts with a fixed seed, so they are the
same on every run. prompts.json is JSON so tabs, CR/LF and odd code points survive exactly.

    /usr/bin/python3 packages/tokenizer/scripts/t5/make-corpus.py
"""

import json
import random
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parents[4] / "models" / "fixtures" / "t5-tokenizer"

SUBJECTS = """a cat|an astronaut|a lighthouse|a red fox|an old fisherman|a dragon|a castle|a robot|a samurai|
a forest spirit|a cyberpunk city|a mountain lake|a tiny house|a steam locomotive|a jellyfish|a knight|
a wizard|a sunflower field|a koi pond|a desert caravan|a space station|an owl|a ballerina|a vintage car|
a bowl of ramen|a cathedral|a waterfall|a snow leopard|a hummingbird|a portrait of a woman|a viking ship|
a greenhouse|a bookshop|a sailing boat|a crystal cave|a tea ceremony|a marketplace|a giant tortoise|
a clockwork bird|a neon sign|a library|a skyscraper|a windmill|a coral reef|a polar bear|a street musician""".replace("\n", "").split("|")
PLACES = """in a misty forest|on the moon|at sunset|under the sea|in Tokyo at night|in the Alps|on Mars|
in a field of lavender|inside a glass dome|in a rainy alley|on a floating island|in the Sahara|in Paris|
in a medieval village|at the edge of the universe|in a cozy kitchen|in a snowy valley|by the harbor""".replace("\n", "").split("|")
STYLES = """oil painting|watercolor|digital art|concept art|studio photograph|35mm film|ukiyo-e woodblock print|
pencil sketch|3d render|unreal engine|octane render|art nouveau|baroque|impressionist|pixel art|
low poly|isometric|cinematic lighting|volumetric fog|golden hour|hyperrealistic|anime style|
charcoal drawing|stained glass|claymation|double exposure|macro photography|tilt-shift""".replace("\n", "").split("|")
QUALITY = """highly detailed|8k|sharp focus|intricate|masterpiece|best quality|trending on artstation|
award winning|soft light|dramatic shadows|vivid colors|muted palette|wide angle|bokeh|symmetrical|
ultra wide shot|close-up|depth of field|high contrast|pastel colors""".replace("\n", "").split("|")
ARTISTS = """by Greg Rutkowski|by Alphonse Mucha|by Hokusai|by Claude Monet|by Studio Ghibli|by Moebius|
by Zdzisław Beksiński|by Hayao Miyazaki|by Albrecht Dürer|by Frida Kahlo|by René Magritte|by Gustav Klimt""".replace("\n", "").split("|")

# Text in other scripts and accents, so the models learn some of them and leave others unknown.
FOREIGN = [
    "une maison près de la rivière, lumière douce, été",
    "café crème à côté d'une fenêtre, naïve peinture, déjà vu",
    "über den Wolken, Straße im Herbst, schöne Grüße, Mädchen mit Hut",
    "niño jugando en la playa, mañana soleada, corazón de piñata",
    "uma canção de ninar, coração, pão de queijo, São Paulo",
    "Ελληνικός ναός στο ηλιοβασίλεμα, θάλασσα",
    "Москва зимой, снег, красная площадь, картина маслом",
    "東京の夜景、ネオン、雨、映画のような光",
    "桜の木の下の猫、水彩画",
    "山水画，云雾缭绕的山峰，中国风",
    "서울의 밤거리, 네온사인, 비 오는 날",
    "قطة على السطح عند الغروب",
    "חתול על הגג בשקיעה",
    "एक सुंदर मंदिर, सूर्यास्त, हिमालय",
    "ภาพวาดสีน้ำของวัดไทย",
    "Việt Nam, phở bò, hồ Gươm, mùa thu",
    "İstanbul'da gün batımı, çay, şehir",
    "Kraków, żółty tramwaj, zima, święta",
]
EMOJI = ["🐱", "🚀", "🌸", "🔥", "✨", "🎨", "👍🏽", "👩‍🚀", "🏳️‍🌈", "🇯🇵", "❤️", "😀", "🌊", "🦊"]


SYLLABLES = """ka|ri|to|mo|zan|thel|qua|ri|dor|vel|lin|mor|ash|ell|yth|gar|bri|sol|fen|dra|nix|oph|
um|lo|sta|wen|cor|ial|bel|tor|xi|pha|rym|dun|ev|ois|gle|mar|tis|sha|kon|ur|ne|va|lys|qui|ber|dok""".replace("\n", "").split("|")
NOUNS = """creature|temple|forest|river|warrior|merchant|garden|village|tower|spirit|machine|harbor|
festival|beast|queen|king|monk|valley|citadel|ruins|portal|nebula|galaxy|orchard|meadow|glacier""".replace("\n", "").split("|")


def name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def story(rng: random.Random) -> str:
    """A line with made-up names, so the vocabulary gets a few thousand pieces to learn."""
    words = [f"the {rng.choice(NOUNS)} of {name(rng)}", f"{name(rng)} and {name(rng)}", rng.choice(NOUNS) + "s"]
    rng.shuffle(words)
    return " ".join(words) + rng.choice([".", ",", "!", "?", ";", ""])


def sd_prompt(rng: random.Random) -> str:
    parts = [f"{rng.choice(SUBJECTS)} {rng.choice(PLACES)}"]
    parts += rng.sample(STYLES, rng.randint(1, 2))
    parts += rng.sample(QUALITY, rng.randint(1, 4))
    if rng.random() < 0.5:
        parts.append(rng.choice(ARTISTS))
    return ", ".join(parts)


def train_lines(rng: random.Random) -> list:
    lines = []
    for _ in range(1500):
        lines.append(sd_prompt(rng))
    for _ in range(15):
        for text in FOREIGN:
            lines.append(text)
    for _ in range(100):
        lines.append(sd_prompt(rng) + " " + rng.choice(EMOJI))
    for _ in range(2500):
        lines.append(story(rng))
    # Some NFKC material the normalizer folds, and digits and punctuation.
    for _ in range(50):
        lines.append(f"{rng.randint(1, 4096)}x{rng.randint(1, 4096)} pixels, ratio {rng.randint(1, 21)}:{rng.randint(1, 9)}, seed #{rng.randint(0, 99999)}")
    rng.shuffle(lines)
    return lines


# Hand-written prompts: what people type, and what a tokenizer must survive.
HANDWRITTEN = [
    "",
    " ",
    "   ",
    "a",
    "a photo of a cat",
    "A photo of an astronaut riding a horse on Mars",
    "  leading and trailing spaces  ",
    "double  spaces   and    more     spaces",
    "tabs\tbetween\twords",
    "new\nlines\nbetween\nwords",
    "windows\r\nline\r\nendings",
    "carriage\rreturn",
    "\t\n mixed \t whitespace \n\t",
    "trailing tab\t",
    "\vvertical tab and form feed\f",
    "no-break\u00a0space and narrow\u202fno-break and ideographic\u3000space",
    "em\u2003space en\u2002space thin\u2009space hair\u200aspace",
    "zero\u200bwidth\u200cnon\u200djoiner",
    "\ufeffbyte order mark at start",
    "soft\u00adhyphen",
    "line\u2028separator and paragraph\u2029separator",
    "next line\u0085char",
    "control\x01\x02\x03chars\x7f and \x1bescape",
    "null\x00byte",
    "ＦＵＬＬ－ＷＩＤＴＨ　ｌｅｔｔｅｒｓ　ａｎｄ　ｄｉｇｉｔｓ　０１２３",
    "ｈａｌｆ and ｶﾀｶﾅ ﾊﾝｶｸ ｶﾞｷﾞ",
    "ﾎﾟｹｯﾄ ﾓﾝｽﾀｰ",
    "！？＃＄％＆（）＊＋，－．／：；＜＝＞＠［＼］＾＿｀｛｜｝～",
    "ligatures: ﬁsh ﬂower ﬀ ﬃ ﬄ ﬅ ﬆ Ǆ ǅ ǆ Ĳ ĳ œ æ",
    "superscripts x² y³ ¹ and subscripts H₂O, fractions ½ ¼ ¾ ⅓",
    "circled ① ② ⑩ ⓐ Ⓐ and parenthesized ⑴ ⒜",
    "roman numerals Ⅰ Ⅱ Ⅻ ⅻ, units ㎏ ㎞ ㎡ ℃ ℉ № ™ ℠ ℡",
    "squared ㍻ ㍿ ㌀ ㋿",
    "math 𝐁𝐨𝐥𝐝 𝑰𝒕𝒂𝒍𝒊𝒄 𝔉𝔯𝔞𝔨𝔱𝔲𝔯 𝕯𝖔𝖚𝖇𝖑𝖊 ℝ ℕ",
    "precomposed é è ê ë à â ä ç ñ ö ü ß",
    "decomposed e\u0301 e\u0300 e\u0302 e\u0308 a\u0300 c\u0327 n\u0303 o\u0308 u\u0308",
    "stacked a\u0301\u0302\u0303\u0304 e\u0323\u0302 o\u031b\u0301 x\u0301\u0301\u0301",
    "zalgo Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b\u0357\u0334\u0362\u0335\u031c\u0330\u0354L\u0368\u0367\u0369\u0358\u0320G\u0311\u0357\u030e\u0305\u035b\u0341\u0334\u033b\u0348\u034d\u0354\u0339O\u0342\u030c\u030c\u0358\u0328\u0335\u0339\u033b\u031d\u0333",
    "Vietnamese Tiếng Việt có dấu: ở, ữ, ặ, ậ, ễ",
    "Vietnamese decomposed Tie\u0302\u0301ng Vie\u0323\u0302t",
    "full width with accent Ａ\u0301 Ｂ\u0308 ｅ\u0301",
    "ligature with accent ﬁ\u0301 ﬂ\u0308",
    "Hangul jamo \u1100\u1161 \u1112\u1161\u11ab \u110b\u1173\u11af and syllables 한글",
    "halfwidth hangul ﾡﾢ ￂￃ",
    "Devanagari conjuncts क्ष त्र ज्ञ श्र क्‍ष and नमस्ते",
    "Bengali ক্ষ and Tamil க்ஷ, Thai ที่ นั้น",
    "Arabic with marks مُحَمَّد and prepend \u0600\u0661\u0662 and \u06dd\u0663",
    "Hebrew with points שָׁלוֹם",
    "emoji 😀 😃 😄 🐱 🚀 🌸",
    "skin tones 👍🏻 👍🏼 👍🏽 👍🏾 👍🏿 and 👋🏽",
    "ZWJ families 👨‍👩‍👧‍👦 👩‍❤️‍👨 🧑‍🤝‍🧑 👩‍💻 🏳️‍🌈 🏴‍☠️",
    "flags 🇯🇵 🇺🇸 🇫🇷 🇩🇪 and a lone 🇦 indicator",
    "keycaps 1️⃣ 2️⃣ #️⃣ and variation ☺︎ ☺️ ❤ ❤️",
    "tag sequence 🏴󠁧󠁢󠁳󠁣󠁴󠁿 scotland",
    "emoji only 🐶🐱🐭🐹🐰🦊🐻🐼",
    "a cat🐱sitting🐱between🐱words",
    "<extra_id_0>",
    "a <extra_id_0> b",
    "a<extra_id_0>b",
    "a  <extra_id_0>  b",
    "<extra_id_0> at start",
    "at end <extra_id_0>",
    "sentinels <extra_id_0> and <extra_id_1> and <extra_id_99>",
    "<extra_id_0><extra_id_1><extra_id_2>",
    "<extra_id_10> vs <extra_id_1>0",
    "<extra_id_100> is not a sentinel, nor <extra_id_-1> or <extra_id_>",
    "</s>",
    "a photo </s>",
    "a photo</s>",
    "</s> a photo",
    "two </s> eos </s>",
    "<pad> and <unk> written in text",
    "<pad><unk></s>",
    "<s> is not special in T5",
    "full-width specials ＜／ｓ＞ ＜ｕｎｋ＞ ＜ｐａｄ＞ ＜ｅｘｔｒａ＿ｉｄ＿０＞",
    "byte pieces written <0x41> <0xE2><0x96><0x81>",
    "metaspace ▁ in text",
    "▁leading metaspace",
    "trailing metaspace▁",
    "metaspace▁▁▁run",
    "\u2581",
    "punctuation... !!! ??? ,,, ;;; --- ___ *** ((())) [[[]]] {{{}}}",
    "(masterpiece:1.2), [blurry], {best quality}, <lora:detail:0.8>",
    "a (red:1.3) cat, [blurry] BREAK masterpiece",
    "prompt with \"quotes\" and 'apostrophes' and `backticks`",
    "URL https://example.com/path?query=1&x=2#frag and email user@example.com",
    "numbers 0 1 12 123 1234 3.14159 1,000,000 -42 +7 1e-5",
    "dates 2024-01-31 12:30:45 and times 10:00am",
    "mixed 日本語 English 中文 한국어 Русский",
    "CJK extension B 𠀀 𠀁 𪚥 and compatibility 豈 更",
    "private use \ue000\uf8ff and noncharacters \ufdd0\uffff",
    "unassigned \u0378 \u0380 and astral \U000e0001 tag",
    "replacement char \ufffd and object \ufffc",
    "combining only \u0301\u0302 at start",
    "keycap base alone \u20e3 and enclosing circle a\u20dd",
    "Ⓐ\u0301 circled with accent",
    "Å Å Å angstrom forms",
    "Ω Ω ohm and Kelvin K K",
    "ﷺ arabic ligature and ﷽ bismillah",
    "ｱｲｳｴｵ half-width vs アイウエオ full",
    "ｶﾞ ｶ\uff9e voiced marks",
    "dotless ı and dotted İ, final sigma ς, long s ſ",
    "CAPITALS STAY CAPITALS IN T5",
    "Mixed CaSe WoRdS",
    "hyphen‐minus − en–dash — em-dash",
    "quotes “smart” ‘single’ «guillemets» „low“",
    "ellipsis … and middle dot · and bullet •",
    "℀ ℁ ℅ ℆ accounts",
    "¼ cup of sugar, ½ teaspoon",
    "™®© symbols",
    "¨ ´ ¸ spacing diacritics",
    "\u3099\u309a kana voiced marks alone, か\u3099 き\u309a",
    "\u00e9\u0301 precomposed plus combining",
    "o\u0308\u0304 ȫ double marks",
    "\u1e9b\u0323 long s dot",
    "Ａ\u0300\u0301 full width double accent",
    # Splits of equal score ("m" + "mm" = "mm" + "m"): SentencePiece sums in float32, Rust in f64,
    # and the rounding picks different winners.
    "zrmmmrz",
    "wmmmw and hmmm",
    "qmmmlwpw mdluzvmmmp ztweprmmmhm gxvavvmmmxnf",
    "ｶ\u3099 halfwidth plus combining voiced",
]


def long_prompts(rng: random.Random) -> list:
    out = []
    out.append(", ".join(sd_prompt(rng) for _ in range(14)))
    out.append(" ".join(rng.choice(QUALITY) for _ in range(150)))
    out.append("a " * 300)
    out.append("word " * 520)
    out.append("masterpiece, best quality, " * 90 + "</s> end")
    out.append(" ".join(FOREIGN) * 2)
    out.append("🐱 " * 300)
    out.append(" <extra_id_5> ".join(sd_prompt(rng) for _ in range(14)))
    # Around the SD3 (256) and Flux (512) limits: "a" is one piece, "</s>" one id.
    for words in (254, 255, 256, 257, 510, 511, 512, 513):
        out.append(" ".join(["a"] * words))
    for words in (254, 255, 510, 511):
        out.append(" ".join(["a"] * words) + " </s>")
    return out


def runs() -> list:
    return [
        "a" * 50,
        "a" * 1000,
        "z" * 333,
        " " * 200 + "x",
        "x" + " " * 200 + "y",
        "\t" * 40 + "tabs",
        "\n" * 40 + "newlines",
        "é" * 100,
        "e\u0301" * 100,
        "ﬁ" * 64,
        "Ａ" * 80,
        "😀" * 60,
        "👨‍👩‍👧‍👦" * 20,
        "🇯🇵" * 30,
        "ー" * 50,
        "!" * 120,
        "ab" * 200,
        "<" * 30 + ">" * 30,
        "▁" * 20,
    ]


def decorated(rng: random.Random, prompt: str) -> str:
    """An SD prompt with one odd thing done to it: width, accents, emoji, whitespace, specials."""
    kind = rng.randrange(10)
    if kind == 0:  # full-width ASCII
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in prompt)
    if kind == 1:  # decomposed
        return unicodedata.normalize("NFD", prompt + ", café naïve Ångström")
    if kind == 2:
        words = prompt.split(" ")
        for _ in range(3):
            words.insert(rng.randrange(len(words) + 1), rng.choice(EMOJI))
        return " ".join(words)
    if kind == 3:
        return prompt.replace(", ", rng.choice([",\t", ",\n", ",  ", " ,", ",\u3000", ",\u00a0"]))
    if kind == 4:
        return prompt.replace(" ", " <extra_id_%d> " % rng.randrange(100), 1)
    if kind == 5:
        return prompt + rng.choice([" </s>", "</s>", " </s> ", "</s>" + " tail"])
    if kind == 6:
        return prompt.upper()
    if kind == 7:
        return prompt + " " + rng.choice(FOREIGN)
    if kind == 8:
        return "".join(c + "\u0301" if c in "aeiou" and rng.random() < 0.3 else c for c in prompt)
    return "  " + prompt + "  "


def main() -> None:
    rng = random.Random(20240601)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "train.txt").write_text("\n".join(train_lines(rng)) + "\n", encoding="utf-8")

    prompts = list(HANDWRITTEN) + long_prompts(rng) + runs()
    prompts += FOREIGN
    for _ in range(60):
        prompts.append(sd_prompt(rng))
    for _ in range(110):
        prompts.append(decorated(rng, sd_prompt(rng)))
    seen = set()
    unique = [p for p in prompts if not (p in seen or seen.add(p))]
    (OUT / "prompts.json").write_text(json.dumps(unique, ensure_ascii=True, indent=0) + "\n", encoding="utf-8")
    print(f"{len(unique)} prompts, {sum(1 for _ in open(OUT / 'train.txt', encoding='utf-8'))} training lines")


if __name__ == "__main__":
    main()
