/**
 * Writes `corpus.txt`, the text the GPT-2 parity test and the tokenizer benchmark encode.
 *
 * Deterministic (seeded); run from the repository root to regenerate:
 *   deno run --allow-read --allow-write reference/corpus.ts [bytes] [out]
 * The corpus mixes English prose, source code (copra's own tokenizer sources at generation time), numbers in
 * many notations, whitespace runs, emoji, CJK, Arabic and Hebrew, combining marks and odd Unicode, so that
 * every branch of GPT-2's pre-tokenization pattern and many multi-byte merges are exercised.
 *
 * @module
 */

import { mulberry32 } from "./random.ts";

const random = mulberry32(20261126);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));

const PROSE = [
  `The lighthouse keeper wrote the same line in his log every evening: "Lamp lit, sea calm, nothing to report." It was
not always true. Some nights the sea threw itself at the rocks for hours, and once a freighter's horn sounded so
close that he went down to the landing with a lantern and stood there until dawn. He didn't write that down either.
When the service replaced him with an automatic beacon, they found forty-one years of calm seas in the logbooks.`,
  `A recipe is an algorithm with forgiving inputs. You can't swap flour for sugar, but you can swap butter for oil,
one onion for two shallots, or an hour at 180 degrees for ninety minutes at 160 — and still get dinner. Programs
are less kind: a single misplaced semicolon, and the whole thing refuses to run. We've learned to write tests for
that; cooks learned to taste as they go. It's the same habit under another name.`,
  `Rivers don't choose their paths; they inherit them. Water follows yesterday's channel because yesterday's channel
is where the ground is lowest, and the ground is lowest there because water followed it the day before. Only a
flood breaks the pattern, and after the flood the river settles into a new groove that it'll keep for a century.
Habits, institutions and codebases work the same way, which is why they're so hard to move and so easy to keep.`,
  `"Are you sure?" she asked. "Positive," he said, which was a lie, or at least an exaggeration; he was about sixty
percent sure, and the remaining forty percent kept him awake until three. In the morning the numbers had shifted
— seventy, thirty — and by lunch he'd forgotten there had ever been a question. That's how most decisions feel
from the inside: not a verdict, but a tide that goes out slowly and leaves you standing on dry sand.`,
  `The museum's smallest exhibit is a single grain of rice with a poem engraved on it. Visitors queue for twenty
minutes to look through the microscope for ten seconds. Nobody can read the poem (it's in a script only a few
hundred people still use), but everyone leaves satisfied. I think they're paying for the proof that patience
exists somewhere, in someone, to that degree. The label says the engraver took eleven days. The rice was free.`,
  `Every map lies a little. A subway diagram straightens curves and evens out distances so that a tourist can find
the transfer at Central; a road atlas leaves out the footpaths; a globe is the only honest one, and you can't fold
it into a glove box. The trick is knowing which lie you're holding. A good map tells you what it left out, the way
a good benchmark tells you the machine, the date and the baseline it was measured against.`,
  `My grandmother kept every key she ever owned on a ring by the door: house keys for houses long sold, a car key
for a car that went to the scrapyard in 1987, a tiny brass key that opened nothing anyone could find. When we
asked, she said a key you throw away is a door you've decided never to open again, and she wasn't ready to decide
that about any door. After she died we tried them all in every lock of the house. The brass one still opens nothing.`,
  `Weather forecasts improved by about a day per decade: a five-day forecast today is as good as a four-day forecast
was ten years ago. No single breakthrough did it. Better satellites, denser grids, faster computers, smarter ways
to blend observations with models — each added a few hours. Progress that comes in hours rarely makes the news,
and yet it's the kind that compounds. The farmer who'd have lost a harvest to a surprise frost doesn't lose it.`,
  `THE RULES OF THE READING ROOM: Pencils only. No food, no drinks, no phones on the desks. Handle bound volumes by
the covers, never by the spine. Ask the librarian before you photograph anything; she'll say yes, but she'd like
to be asked. WE'RE OPEN 9–17 ON WEEKDAYS, AND WE'LL CLOSE EARLY ON THE 24TH. I'D REMIND YOU THAT THE LAST ORDER
FOR STACK REQUESTS IS AT 16:15. It's not personal. It's the stairs.`,
  `Some questions are easy to ask and hard to answer: is Tom a wumpus or a yumpus? If every terpus is a brimpus, and
Tom is a terpus, and every brimpus is a lempus, then Tom is a lempus — three hops along a chain of "every X is a Y"
sentences. A model that reasons well doesn't need to write the hops down; it needs to keep several candidate
paths in mind at once and let the wrong ones fade. That, at least, is the claim worth testing.`,
];

const WORDS = (
  "time year people way day man thing woman life child world school state family student group country problem " +
  "hand part place case week company system program question work government number night point home water " +
  "room mother area money story fact month lot right study book eye job word business issue side kind head " +
  "house service friend father power hour game line end member law car city community name president team " +
  "minute idea kid body information back parent face others level office door health person art war history " +
  "party result change morning reason research girl guy moment air teacher force education foot boy age policy " +
  "everything process music market sense nation plan college interest death experience effect use class control " +
  "care field development role effort rate heart drug show leader light voice wife police mind price report " +
  "decision son view relationship town road arm difference value building action model season society tax " +
  "director position player record paper space ground form event official matter center couple site project " +
  "activity star table need court oil situation cost industry figure street image phone data picture practice " +
  "piece land product doctor wall patient worker news test movie north love support technology step baby " +
  "computer type attention film tree source organization hair window evidence population site quality"
).split(" ");
const VERBS = "is was seems became remains looked felt grew stayed sounded appeared".split(" ");
const ADJ = "quick slow bright dark quiet loud early late simple strange heavy light narrow wide gentle".split(" ");
const CONTRACTIONS = [
  "it's",
  "don't",
  "we're",
  "they've",
  "I'm",
  "you'll",
  "she'd",
  "IT'S",
  "DON'T",
  "WE'LL",
  "O'Brien's",
  "rock 'n' roll",
  "'tis",
  "y'all'd've",
];

const DET = ["the", "the", "a", "this", "every", "no", "one", "that", "our", "their"];
const PREP = ["of", "in", "on", "with", "after", "before", "under", "for", "about", "from"];
const LINK = ["and", "but", "so", "because", "while", "although", "and then", "or"];

/** A noun phrase such as "the quiet morning of a company". */
function nounPhrase(): string {
  const head = `${pick(DET)} ${random() < 0.4 ? pick(ADJ) + " " : ""}${pick(WORDS)}`;
  return random() < 0.35 ? `${head} ${pick(PREP)} ${pick(DET)} ${pick(WORDS)}` : head;
}

/** A clause such as "the town seemed narrow" or "it's 42 in the morning". */
function clause(): string {
  const r = random();
  if (r < 0.15) return `${pick(CONTRACTIONS)} ${nounPhrase()}`;
  if (r < 0.25) return `${nounPhrase()} ${pick(VERBS)} ${int(0, 2500)} ${pick(WORDS)}s`;
  return `${nounPhrase()} ${pick(VERBS)} ${random() < 0.5 ? pick(ADJ) : nounPhrase()}`;
}

function proseSentence(): string {
  let s = clause();
  for (let n = int(0, 2); n > 0; n--) s += `${random() < 0.3 ? "," : ""} ${pick(LINK)} ${clause()}`;
  s = s[0].toUpperCase() + s.slice(1);
  if (random() < 0.15) s = `"${s}"`;
  if (random() < 0.1) s = `${s} (${pick(WORDS)}-${pick(WORDS)})`;
  if (random() < 0.05) s = s.toUpperCase();
  return s + pick([".", ".", ".", "!", "?", "...", ";", " —", ":"]);
}

function numbers(): string {
  const forms = [
    () => String(int(0, 9)),
    () => String(int(10, 99999)),
    () => String(int(0, 1e9) * 1000 + int(0, 999)),
    () => `-${int(1, 5000)}`,
    () => `${int(0, 999)}.${String(int(0, 99999)).padStart(5, "0")}`,
    () => `${int(1, 9)}.${int(0, 99)}e${pick(["", "-", "+"])}${int(1, 300)}`,
    () => `${int(1, 999)},${String(int(0, 999)).padStart(3, "0")},${String(int(0, 999)).padStart(3, "0")}`,
    () => `0x${int(0, 0xffffff).toString(16)}${pick(["", "ULL", "n"])}`,
    () => `${int(1990, 2030)}-${String(int(1, 12)).padStart(2, "0")}-${String(int(1, 28)).padStart(2, "0")}`,
    () => `${int(0, 23)}:${String(int(0, 59)).padStart(2, "0")}:${String(int(0, 59)).padStart(2, "0")}`,
    () => `+${int(1, 99)} ${int(100, 999)} ${int(1000000, 9999999)}`,
    () => `${int(1, 99)}%`,
    () => `$${int(1, 9999)}.${String(int(0, 99)).padStart(2, "0")}`,
    () => `€${int(1, 999)},${int(10, 99)}`,
    () => `${int(1, 9)}/${int(2, 12)}`,
    () => "3.14159265358979323846264338327950288419716939937510",
    () => String(int(0, 1e15)).repeat(int(1, 3)),
    () => `<<${int(1, 99)}*${int(1, 99)}=${int(1, 9801)}>>`,
    () => `v${int(0, 9)}.${int(0, 30)}.${int(0, 99)}`,
    () => pick(["٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९", "１２３４５", "²³¹⁰", "½ ¾ ⅓ ⅞", "Ⅰ Ⅱ Ⅻ ⅲ", "①②③", "𝟘𝟙𝟚", "〇一二三"]),
  ];
  const out: string[] = [];
  const n = int(3, 12);
  for (let i = 0; i < n; i++) out.push(pick(forms)());
  return out.join(pick([" ", ", ", "; ", " | ", "\t", " and "]));
}

function whitespace(): string {
  const runs = [
    () => " ".repeat(int(2, 40)),
    () => "\t".repeat(int(1, 6)),
    () => "\n".repeat(int(2, 5)),
    () => "\r\n",
    () => " \t \t",
    () => "  \n  \n",
    () => " ".repeat(int(1, 8)) + "\n",
    () => "\u00a0",
    () => "\u2002\u2003\u2009",
    () => "\u3000",
    () => "\u2028",
    () => "\u2029",
    () => "\u0085",
    () => "\u000b\u000c",
    () => "\u200b",
    () => "\u202f\u205f",
  ];
  const parts: string[] = [];
  const n = int(3, 10);
  for (let i = 0; i < n; i++) parts.push(pick(WORDS), pick(runs)());
  return parts.join("");
}

const EMOJI = [
  "😀",
  "🎉",
  "🚀",
  "🐍",
  "🦀",
  "👍🏽",
  "👩‍💻",
  "👨‍👩‍👧‍👦",
  "🏳️‍🌈",
  "🇫🇷",
  "🇯🇵",
  "🇧🇷",
  "1️⃣",
  "#️⃣",
  "❤️",
  "☕",
  "✨",
  "🧪",
  "🫠",
  "🫶🏿",
  "🧑🏼‍🚀",
  "😶‍🌫️",
  "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
  "✌🏻",
  "🤷‍♀️",
];

function emoji(): string {
  const out: string[] = [];
  const n = int(3, 12);
  for (let i = 0; i < n; i++) {
    const r = random();
    if (r < 0.4) out.push(pick(EMOJI));
    else if (r < 0.6) out.push(pick(EMOJI).repeat(int(2, 4)));
    else if (r < 0.8) out.push(`${pick(WORDS)} ${pick(EMOJI)}`);
    else out.push(`${pick(EMOJI)}${pick(WORDS)}`);
  }
  return out.join(pick([" ", "", ", "]));
}

const CJK = [
  "今天的天气很好，我们去公园散步吧。",
  "这个模型会把最后一层的隐藏状态当作下一步的输入。",
  "机器学习需要大量的数据和耐心。",
  "东京的地铁非常准时，几乎从不晚点。",
  "图书馆九点开门，下午五点关门。",
  "猫在窗台上睡觉，阳光照在它的背上。",
  "雨の日は家で本を読むのが好きです。",
  "このプログラムは日本語の文章も正しく扱えます。",
  "カタカナとひらがなと漢字が混ざっています。",
  "ラーメンを食べに行きませんか？",
  "明日は早く起きなければなりません。",
  "東京タワーから富士山が見えました！",
  "오늘은 날씨가 정말 좋네요.",
  "이 토크나이저는 한국어도 처리할 수 있습니다.",
  "서울의 지하철은 매우 편리합니다.",
  "커피 한 잔 주세요.",
  "（全角括弧）と「かぎ括弧」と【すみ付き括弧】。",
  "第１２３号、価格は￥４，５００です。",
];

function cjk(): string {
  const out: string[] = [];
  const n = int(2, 6);
  for (let i = 0; i < n; i++) out.push(pick(CJK));
  if (random() < 0.3) out.push(` ${pick(WORDS)} ${int(1, 99)} `);
  return out.join(random() < 0.5 ? "" : " ");
}

const RTL = [
  "مرحبا بالعالم",
  "اللغة العربية جميلة جدا",
  "هذا النموذج يفكر في فضاء مستمر",
  "القاهرة ودمشق وبغداد مدن قديمة",
  "الرقم ١٢٣ والتاريخ ٢٠٢٦",
  "كتاب، قلم، ورقة؛ ماذا تحتاج؟",
  "شكرا جزيلا",
  "سلام دنیا، این یک آزمایش است",
  "שלום עולם",
  "עברית נכתבת מימין לשמאל",
  "בוקר טוב, מה שלומך?",
  "\u200fמימין\u200e left \u202bembedded\u202c",
  "ٱلْعَرَبِيَّةُ مَعَ ٱلتَّشْكِيلِ",
];

function rtl(): string {
  const out: string[] = [];
  const n = int(2, 6);
  for (let i = 0; i < n; i++) out.push(pick(RTL));
  if (random() < 0.4) out.push(`(${pick(WORDS)} ${int(1, 999)})`);
  return out.join(pick([" ", ". ", "، ", "\n"]));
}

const COMBINING = [
  "cafe\u0301",
  "nai\u0308ve",
  "re\u0301sume\u0301",
  "Z\u0351\u0324a\u0308\u0317l\u0334\u0323g\u0315\u0306o\u0336\u033f",
  "a\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308",
  "Tiếng Việt có dấu",
  "ภาษาไทยมีวรรณยุกต์",
  "हिन्दी भाषा",
  "தமிழ் எழுத்து",
  "ক্ষ্ম",
  "ñ vs n\u0303",
  "Å vs A\u030a vs \u212b",
  "e\u20dd \u20e3",
  "ǅungla",
  "ﬁne ﬂow",
  "x\u0336y\u0336z\u0336",
];

function combining(): string {
  const out: string[] = [];
  const n = int(3, 8);
  for (let i = 0; i < n; i++) out.push(pick(COMBINING));
  return out.join(pick([" ", ", ", " / "]));
}

const ODD = [
  "\ufeffBOM at start",
  "soft\u00adhyphen",
  "zero\u200bwidth\u200cnon\u200djoiner",
  "private \ue000\ue001\uf8ff use",
  "𝐁𝐨𝐥𝐝 𝑰𝒕𝒂𝒍𝒊𝒄 𝔉𝔯𝔞𝔨𝔱𝔲𝔯 𝕕𝕠𝕦𝕓𝕝𝕖",
  "𐀀𐀁 Linear B",
  "𝄞 𝄢 music",
  "\ufffd replacement",
  "noncharacter \ufffe \uffff",
  "controls \u0001\u0002\u001f\u007f",
  "C1 \u0080\u0085\u009f",
  "Кириллица и латиница: Aа Oо Pр",
  "Ελληνικά: αβγ ΔΕΖ ω",
  "ⓒⓞⓟⓡⓐ",
  "ℌℑℜ ℵ ∀x∈ℝ: x²≥0",
  "→ ← ↔ ⇒ ∞ ≠ ≤ ≥ ∑ ∫",
  "‘quotes’ “double” «guillemets» „low“",
  "…—–·•‣",
  "tab\tin\tthe\tmiddle",
  "<|endoftext|>",
  "<|endoftext|><|endoftext|>text",
  "<|start-latent|><|latent|><|end-latent|>",
  "ﾊﾝｶｸｶﾀｶﾅ",
  "\u{1f3fb}\u{1f3ff} lone modifiers",
  "\u{e0041}\u{e0042} tags",
  "\u{10ffff}\u{fffff} planes 15-16",
  "\u0300 leading combining mark",
  "a\u0000b NUL",
];

function odd(): string {
  const out: string[] = [];
  const n = int(2, 6);
  for (let i = 0; i < n; i++) out.push(pick(ODD));
  return out.join(pick([" ", "", "\n", "  "]));
}

function codeSnippet(): string {
  const name = pick(WORDS);
  const snippets = [
    () =>
      `def ${name}_${pick(WORDS)}(x, y=${int(0, 9)}):\n    """Return the ${pick(ADJ)} ${name}."""\n` +
      `    if x > ${int(0, 100)}:\n        return x ** 2 + y\n    return [i for i in range(x) if i % ${
        int(2, 7)
      } == 0]\n`,
    () =>
      `for (let i = 0; i < ${int(1, 1000)}; i++) {\n\tconst ${name} = arr[i] ?? null;\n\tif (!${name}) continue;\n` +
      `\tconsole.log(\`\${i}: \${${name}}\`);\n}\n`,
    () =>
      `{"${name}": ${int(0, 999)}, "${pick(WORDS)}": [${int(0, 9)}, ${int(0, 9)}.${
        int(0, 9)
      }], "ok": true, "none": null}\n`,
    () => `$ grep -rn '${name}' src/ | sort -u > /tmp/${name}.txt && wc -l /tmp/${name}.txt\n`,
    () => `SELECT ${name}_id, COUNT(*) AS n FROM ${pick(WORDS)}s WHERE n >= ${int(1, 50)} GROUP BY 1;\n`,
    () => `#include <stdio.h>\nint main(void) { printf("%d\\n", ${int(0, 99)} << ${int(1, 8)}); return 0; }\n`,
    () => `fn ${name}(v: &[f32]) -> f32 { v.iter().map(|x| x * x).sum::<f32>().sqrt() }\n`,
    () => `    <div class="${name}-${pick(ADJ)}" data-id="${int(1, 9999)}">&nbsp;&lt;${name}&gt;</div>\n`,
    () => `x = np.zeros((${int(1, 64)}, ${int(1, 64)}), dtype=np.float32)  # (B, T)\n`,
    () => `// TODO(${name}): ${pick(ADJ)} path; see #${int(1, 999)}\n`,
    () => `${name}:\n  - ${pick(WORDS)}: ${int(0, 9)}\n  - ${pick(WORDS)}: "${pick(ADJ)}"\n`,
    () => `regex = /^(?:[a-z0-9!#$%&'*+/=?^_\`{|}~-]+)@${name}\\.(com|org)$/i;\n`,
  ];
  return pick(snippets)();
}

async function ownSources(): Promise<string> {
  const dir = new URL("../tokenizer/", import.meta.url);
  const files = ["bpe.ts", "byte_level.ts", "tokenizer.ts", "train_bpe.ts", "hf_json.ts", "gpt2_files.ts"];
  const texts = await Promise.all(files.map((f) => Deno.readTextFile(new URL(f, dir))));
  return texts.join("\n");
}

/** Builds a corpus of at least `bytes` UTF-8 bytes. */
export async function makeCorpus(bytes: number): Promise<string> {
  const sections: string[] = [PROSE.join("\n\n"), await ownSources()];
  const makers = [
    () => Array.from({ length: int(3, 9) }, proseSentence).join(" "),
    () => Array.from({ length: int(3, 9) }, proseSentence).join(" "),
    () => Array.from({ length: int(3, 9) }, proseSentence).join(" "),
    numbers,
    whitespace,
    emoji,
    cjk,
    rtl,
    combining,
    odd,
    codeSnippet,
    codeSnippet,
  ];
  const encoder = new TextEncoder();
  let size = sections.reduce((n, s) => n + encoder.encode(s).length, 0);
  while (size < bytes) {
    const paragraph = pick(makers)();
    sections.push(paragraph);
    size += encoder.encode(paragraph).length + 1;
  }
  return sections.join(pick(["\n", "\n\n"])) + "\n";
}

if (import.meta.main) {
  const bytes = Number(Deno.args[0] ?? 240_000);
  const out = Deno.args[1] ?? new URL("./corpus.txt", import.meta.url).pathname;
  await Deno.writeTextFile(out, await makeCorpus(bytes));
}
