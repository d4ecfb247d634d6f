import { describe, expect, it } from 'vitest';
import {
  badness,
  decodeInconsistentUtf8,
  fixC1Controls,
  fixCharacterWidth,
  fixEncoding,
  fixLatinLigatures,
  fixLineBreaks,
  fixSurrogates,
  fixText,
  fixTextSegment,
  isBad,
  removeBom,
  removeControlChars,
  removeTerminalEscapes,
  replaceLossySequences,
  restoreByteA0,
  uncurlQuotes,
  unescapeHtml,
} from '../src/index.js';

// Examples from ftfy's documentation and docstrings (ftfy 6.1.1), plus the brief's cases.

describe('fixText', () => {
  it.each([
    ['âœ” No problems', '✔ No problems'],
    ['&macr;\\_(ã\x83\x84)_/&macr;', '¯\\_(ツ)_/¯'],
    ['Broken text&hellip; it&#x2019;s ﬂubberiﬁc!', "Broken text… it's flubberific!"],
    ['ＬＯＵＤ　ＮＯＩＳＥＳ', 'LOUD NOISES'],
    ['uÌˆnicode', 'ünicode'],
    ['\x01\x1b[36;44mI&#x92;m blue, da ba dee da ba doo&#133;\x1b[0m', "I'm blue, da ba dee da ba doo…"],
    ['\ufeffParty like\nit&rsquo;s 1999!', "Party like\nit's 1999!"],
    ['The Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows.', "The Mona Lisa doesn't have eyebrows."],
    ['&lt;b&gt;', '<b>'],
    ['&amp;lt;', '<'],
    ['<b>bold</b> &amp; more', '<b>bold</b> &amp; more'],
    ['\x85nel', '…nel'],
    ['ﬁ', 'fi'],
    ['ŉ', "'n"],
    ['１２３', '123'],
    ['ﾊﾝｶｸ', 'ハンカク'],
    ['ﾊﾞｶ', 'バカ'],
    ['esc\x1b[31mred\x1b[0m', 'escred'],
    ['cr\r\nlf\rx', 'cr\nlf\nx'],
    ['e\u0301', 'é'],
    ['', ''],
  ])('fixText(%j) === %j', (input, expected) => {
    expect(fixText(input)).toBe(expected);
  });

  it('stops decoding entities once a line contains "<"', () => {
    expect(fixText('a &amp; b\n<p> &amp;\nc &amp; d')).toBe('a & b\n<p> &amp;\nc &amp; d');
  });

  it('takes options with ftfy names in camelCase', () => {
    expect(fixText('&lt;b&gt; “q”', { unescapeHtml: false })).toBe('&lt;b&gt; "q"');
    expect(fixText('&lt;b&gt;', { unescapeHtml: true })).toBe('<b>');
    expect(fixText('<b> &lt;', { unescapeHtml: true })).toBe('<b> <');
    expect(fixText('“q”', { uncurlQuotes: false })).toBe('“q”');
    expect(fixText('ﬁ ①', { normalization: 'NFKC' })).toBe('fi 1');
    expect(fixText('e\u0301', { normalization: null })).toBe('e\u0301');
    expect(fixText('Ã©', { fixEncoding: false })).toBe('Ã©');
    expect(fixText('a\r\nb', { fixLineBreaks: false })).toBe('a\r\nb');
    expect(fixText('ﬁ', { fixLatinLigatures: false })).toBe('ﬁ');
    expect(fixText('１', { fixCharacterWidth: false })).toBe('１');
    expect(fixText('\x1b[0m', { removeTerminalEscapes: false, removeControlChars: false })).toBe('\x1b[0m');
  });

  it('cuts lines longer than maxDecodeLength without splitting a surrogate pair', () => {
    const text = '😀'.repeat(5) + 'Ã©';
    expect(fixText(text, { maxDecodeLength: 3 })).toBe('😀'.repeat(5) + 'Ã©');
    expect(fixText(text, { maxDecodeLength: 7 })).toBe('😀'.repeat(5) + 'é');
  });

  it('fixTextSegment fixes the whole text as one piece', () => {
    expect(fixTextSegment('&lt;\n<b>')).toBe('&lt;\n<b>');
    expect(fixTextSegment('Ã©\nx')).toBe('é\nx');
  });

  it('splits many ligatures', () => {
    expect(fixText('ﬁ'.repeat(100_000)).length).toBe(200_000);
  });
});

// A selection of ftfy's own "in the wild" test cases that ftfy 6.1.1 fixes.
describe('fixText on mojibake from the wild', () => {
  it.each([
    [
      'Le Schtroumpf Docteur conseille g√¢teaux et baies schtroumpfantes pour un r√©gime √©quilibr√©.',
      'Le Schtroumpf Docteur conseille gâteaux et baies schtroumpfantes pour un régime équilibré.',
    ],
    ['РґРѕСЂРѕРіРµ Р\u0098Р·-РїРѕРґ #С„СѓС‚Р±РѕР»', 'дороге Из-под #футбол'],
    ['Р С—РЎР‚Р С‘РЎРЏРЎвЂљР Р…Р С•РЎРѓРЎвЂљР С‘. РІСњВ¤', 'приятности. ❤'],
    ['#╨┐╤Ç╨░╨▓╨╕╨╗╤î╨╜╨╛╨╡╨┐╨╕╤é╨░╨╜╨╕╨╡', '#правильноепитание'],
    ["LiĂ¨ge Avenue de l'HĂ´pital", "Liège Avenue de l'Hôpital"],
    ['MĂĄm dost tĹ\u0099etĂ\u00adho tisĂ\u00adciletĂ\u00ad', 'Mám dost třetího tisíciletí'],
    ['Hi guys í\u00a0½í¸\u008d', 'Hi guys 😍'],
    ['hihi RT username: â\u0098ºí\u00a0½í¸\u0098', 'hihi RT username: ☺😘'],
    ['Táº¡i sao giÃ¡ háº¡t sáº§u riÃªng láº¡i lÃªn giÃ¡?', 'Tại sao giá hạt sầu riêng lại lên giá?'],
    ['The ICR has been upgraded to â€œbb+â€? from â€œbbâ€?', 'The ICR has been upgraded to "bb+\ufffd from "bb\ufffd'],
    ['Ã¢â€\u009dâ€™(Ã¢Å’Â£Ã‹â€ºÃ¢Å’Â£)Ã¢â€\u009dÅ½', '┒(⌣˛⌣)┎'],
    ['a bigger-than-expected Г‚ВЈ5.8bn rights issue', 'a bigger-than-expected £5.8bn rights issue'],
    ['Ecuadorâ\u0080\u0099s â\u0080\u0098purely political decisionâ\u0080\u0099\u0085', "Ecuador's 'purely political decision'…"],
    ['Campeonatos > III DivisÃ£o - SÃ©rie F > Jornadas Classificação', 'Campeonatos > III Divisão - Série F > Jornadas Classificação'],
    ['wei√ü', 'weiß'],
    ['NicolÃ¡s', 'Nicolás'],
    ["Ã perturber la rÃ©flexion des thÃ©ologiens jusqu'Ã nos jours", "à perturber la réflexion des théologiens jusqu'à nos jours"],
    ['com especial atenÃ§Ã£o Ã s crianÃ§as', 'com especial atenção às crianças'],
    ['This is signiп¬Ѓcantly lower than the respective share', 'This is significantly lower than the respective share'],
    ['ŉ Chloroplas is ŉ organel', "'n Chloroplas is 'n organel"],
  ])('fixText(%j) === %j', (input, expected) => {
    expect(fixText(input)).toBe(expected);
  });
});

describe('fixEncoding', () => {
  it.each([
    ['Ã³', 'ó'],
    ['sÃ³', 'só'],
    ['schÃ¶n', 'schön'],
    ['voilÃ le travail', 'voilà le travail'],
    ['voilÃ  le travail', 'voilà le travail'],
    ['Ãºnico', 'único'],
    ['This â€” should be an em dash', 'This — should be an em dash'],
    ['This text is sad .â\x81”.', 'This text is sad .⁔.'],
    ['The more you know ðŸŒ ', 'The more you know 🌠'],
    ['This text was never UTF-8 at all\x85', 'This text was never UTF-8 at all…'],
    ['Ð¿Ñ€Ð¸Ð²ÐµÑ‚', 'привет'],
    ['â€œ like this â€�', '“ like this �'],
  ])('fixes %j', (input, expected) => {
    expect(fixEncoding(input)).toBe(expected);
  });

  it.each([
    'This text is fine already :þ',
    'not such a fan of Charlotte Brontë…”',
    'AHÅ™, the new sofa from IKEA®',
    '&ATILDE;&SUP3;',
    '†‡',
    'Ã',
    'café',
  ])('leaves %j alone', (input) => {
    expect(fixEncoding(input)).toBe(input);
  });

  it('fixes UTF-8 mojibake embedded in other text', () => {
    expect(decodeInconsistentUtf8('Ã©tÃ© 2022 and ¥€$')).toBe('été 2022 and ¥€$');
  });

  it('decodes CESU-8 and Java-style NUL', () => {
    // U+1F600 as CESU-8 (ED A0 BD ED B8 80) read as Latin-1.
    expect(fixEncoding('\u00ed\u00a0\u00bd\u00ed\u00b8\u0080 ok')).toBe('😀 ok');
  });
});

describe('badness', () => {
  it('scores mojibake and not ordinary text', () => {
    expect(isBad('Ã©')).toBe(true);
    expect(isBad('é')).toBe(false);
    expect(isBad('«guillemets» ™©®')).toBe(false);
    expect(badness('Ã© Ã¶')).toBe(2);
    expect(badness('plain')).toBe(0);
  });
});

describe('unescapeHtml', () => {
  it.each([
    ['&lt;tag&gt;', '<tag>'],
    ['&Jscr;ohn &HilbertSpace;ancock', '𝒥ohn ℋancock'],
    ['&checkmark;', '✓'],
    ['P&eacute;rez', 'Pérez'],
    ['P&EACUTE;REZ', 'PÉREZ'],
    ['BUNDESSTRA&SZLIG;E', 'BUNDESSTRASSE'],
    ['&ntilde; &Ntilde; &NTILDE; &nTILDE;', 'ñ Ñ Ñ &nTILDE;'],
    ['&#39; &#x41; &#X41; &#0065;', "' A A A"],
    ['&#133; &#x92;', '… ’'],
    ['&#0; &#1; &#13; &#x110000; &#xD800;', '\ufffd  \r \ufffd \ufffd'],
    ['&#59;', '&#59;'],
    ['&#12ab; &#x; &#abc;', '&#12ab; &#x; &#abc;'],
    ['&amp &unknown; &constructor; &__proto__;', '&amp &unknown; &constructor; &__proto__;'],
    ['&hellip;&nbsp;', '…\u00a0'],
  ])('unescapeHtml(%j) === %j', (input, expected) => {
    expect(unescapeHtml(input)).toBe(expected);
  });
});

describe('single fixes', () => {
  it('removeTerminalEscapes', () => {
    expect(removeTerminalEscapes("\x1b[36;44mI'm blue, da ba dee da ba doo...\x1b[0m")).toBe(
      "I'm blue, da ba dee da ba doo...",
    );
    expect(removeTerminalEscapes('\x1b[٣m x')).toBe(' x');
    expect(removeTerminalEscapes('\x1b[ x')).toBe('\x1b[ x');
  });

  it('uncurlQuotes', () => {
    expect(uncurlQuotes('\u201chere\u2019s a test\u201d')).toBe('"here\'s a test"');
    expect(uncurlQuotes('\u02bc\u201b\u201f')).toBe('\'\'"');
    expect(uncurlQuotes('‹›')).toBe('‹›');
  });

  it('fixLatinLigatures', () => {
    expect(fixLatinLigatures('ﬂuﬃeﬆ')).toBe('fluffiest');
    expect(fixLatinLigatures('ŉ ǆ Ĳ ﬅ')).toBe('\u02bcn dž IJ ſt');
    expect(fixLatinLigatures('æ œ')).toBe('æ œ');
  });

  it('fixCharacterWidth', () => {
    expect(fixCharacterWidth('ＬＯＵＤ\u3000ＮＯＩＳＥＳ')).toBe('LOUD NOISES');
    expect(fixCharacterWidth('Ｕﾀｰﾝ')).toBe('Uターン');
    expect(fixCharacterWidth('ﾊﾝｶｸ')).toBe('ハンカク');
  });

  it('fixLineBreaks', () => {
    expect(fixLineBreaks('This string is made of two things:\u20291. Unicode\u20282. Spite')).toBe(
      'This string is made of two things:\n1. Unicode\n2. Spite',
    );
    expect(fixLineBreaks('Content-type: text/plain\r\n\r\nHi.')).toBe('Content-type: text/plain\n\nHi.');
    expect(fixLineBreaks('This is how Microsoft \r trolls Mac users')).toBe('This is how Microsoft \n trolls Mac users');
    expect(fixLineBreaks("What is this \x85 I don't even")).toBe("What is this \n I don't even");
  });

  it('fixSurrogates', () => {
    expect(fixSurrogates('\ud83d\udca9')).toBe('💩');
    expect(fixSurrogates('\udca9\ud83d')).toBe('\ufffd\ufffd');
    expect(fixSurrogates('a\ud800b')).toBe('a\ufffdb');
  });

  it('removeControlChars and removeBom', () => {
    expect(removeControlChars('a\x00b\x07c\td\ne\x0cf\rg\x1bh\x7fi\u206aj\ufeffk\ufffcl\x85m\u200dn')).toBe(
      'abc\td\ne\x0cf\rghij' + 'kl\x85m\u200dn',
    );
    expect(removeBom('\ufeff\ufeffWhere do you want to go today?')).toBe('Where do you want to go today?');
  });

  it('fixC1Controls', () => {
    expect(fixC1Controls('\x85 \x93quoted\x94 \x81')).toBe('… “quoted” \x81');
  });

  it('restoreByteA0 and replaceLossySequences work on bytes', () => {
    const bytes = (text: string): Uint8Array => Uint8Array.from(text, (char) => char.charCodeAt(0));
    expect(restoreByteA0(bytes('\xc3 la'))).toEqual(bytes('\xc3\xa0 la'));
    expect(restoreByteA0(bytes('\xe2\x80 x'))).toEqual(bytes('\xe2\x80\xa0x'));
    expect(replaceLossySequences(bytes('\xe2\x80\x1a!'))).toEqual(bytes('\xef\xbf\xbd!'));
  });
});
