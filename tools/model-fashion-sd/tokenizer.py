"""A CLIP-format byte-level BPE tokenizer built from the caption vocabulary.

Files as OpenAI CLIP / Hugging Face CLIPTokenizer write them: vocab.json (token -> id: the 256
byte symbols of bytes_to_unicode, the same with "</w>", one token per merge, then
<|startoftext|> and <|endoftext|> last) and merges.txt ("#version: 0.2" then one merge a line).
Encoding is CLIP's: whitespace-normalise, lower-case, split with CLIP's pattern, map UTF-8 bytes
to symbols, BPE by merge rank with "</w>" at word ends, wrap in <|startoftext|> ... <|endoftext|>,
pad with <|endoftext|> to 77 (as Stable Diffusion 1.x). CLIP's ftfy/html clean-up is not applied.
Python's `re` has no \\p{L}; for the ASCII caption corpus [^\\W\\d_] / \\d are the same classes.
"""
import json
import os
import re
from collections import Counter

MAX_LENGTH = 77
BOS, EOS = "<|startoftext|>", "<|endoftext|>"
PATTERN = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+",
                     re.IGNORECASE)


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_ENCODER = bytes_to_unicode()


def clean(text):
    return re.sub(r"\s+", " ", text).strip().lower()


def pre_tokenize(text):
    return ["".join(BYTE_ENCODER[b] for b in w.encode("utf-8")) for w in PATTERN.findall(clean(text))]


def train_merges(texts, weights=None):
    """BPE merges until every word of the corpus is one token (ties: lexicographically smallest pair)."""
    freq = Counter()
    for i, t in enumerate(texts):
        for w in pre_tokenize(t):
            if w in (BOS, EOS):
                continue
            freq[w] += 1.0 if weights is None else float(weights[i]) + 1e-3
    words = {w: tuple(w[:-1]) + (w[-1] + "</w>",) for w in freq}
    merges = []
    while True:
        pairs = Counter()
        for w, sym in words.items():
            for a, b in zip(sym, sym[1:]):
                pairs[(a, b)] += freq[w]
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        for w, sym in words.items():
            out, i = [], 0
            while i < len(sym):
                if i < len(sym) - 1 and sym[i] == best[0] and sym[i + 1] == best[1]:
                    out.append(sym[i] + sym[i + 1])
                    i += 2
                else:
                    out.append(sym[i])
                    i += 1
            words[w] = tuple(out)
    return merges


def build_vocab(merges):
    v = list(BYTE_ENCODER.values())
    v = v + [x + "</w>" for x in v]
    for a, b in merges:
        v.append(a + b)
    v.extend([BOS, EOS])
    return {t: i for i, t in enumerate(v)}


class ClipTokenizer:
    def __init__(self, vocab, merges, max_length=MAX_LENGTH, pad_token=EOS):
        self.encoder = dict(vocab)
        self.ranks = {tuple(m): i for i, m in enumerate(merges)}
        self.max_length = max_length
        self.bos_id, self.eos_id = self.encoder[BOS], self.encoder[EOS]
        self.pad_id = self.encoder[pad_token]
        self.cache = {}

    @classmethod
    def from_dir(cls, d):
        with open(os.path.join(d, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        with open(os.path.join(d, "merges.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges = [tuple(l.split(" ")) for i, l in enumerate(lines) if l.strip() and not (i == 0 and l.startswith("#version"))]
        return cls(vocab, merges)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        while len(word) > 1:
            pairs = [(self.ranks.get((a, b), float("inf")), i) for i, (a, b) in enumerate(zip(word, word[1:]))]
            r, _ = min(pairs)
            if r == float("inf"):
                break
            first = second = None
            for i, (x, y) in enumerate(zip(word, word[1:])):
                if self.ranks.get((x, y)) == r:
                    first, second = x, y
                    break
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    out.append(first + second)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = tuple(out)
        self.cache[token] = list(word)
        return list(word)

    def tokenize(self, text):
        out = []
        for w in pre_tokenize(text):
            if w in (BOS, EOS):
                out.append(w)
            else:
                out.extend(self.bpe(w))
        return out

    def encode(self, text):
        ids = [self.encoder.get(t, self.eos_id) for t in self.tokenize(text)][: self.max_length - 2]
        out = [self.pad_id] * self.max_length
        out[0] = self.bos_id
        out[1:1 + len(ids)] = ids
        out[1 + len(ids)] = self.eos_id
        return out


def write_tokenizer(d, merges):
    """vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json (as SD 1.5's tokenizer/)."""
    os.makedirs(d, exist_ok=True)
    vocab = build_vocab(merges)
    files = {
        "vocab.json": json.dumps(vocab, ensure_ascii=False),
        "merges.txt": "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges),
        "special_tokens_map.json": json.dumps({
            "bos_token": {"content": BOS, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False},
            "eos_token": {"content": EOS, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False},
            "pad_token": EOS,
            "unk_token": {"content": EOS, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False},
        }, indent=2),
        "tokenizer_config.json": json.dumps({
            "add_prefix_space": False,
            "bos_token": {"__type": "AddedToken", "content": BOS, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False},
            "do_lower_case": True,
            "eos_token": {"__type": "AddedToken", "content": EOS, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False},
            "errors": "replace",
            "model_max_length": MAX_LENGTH,
            "pad_token": EOS,
            "tokenizer_class": "CLIPTokenizer",
            "unk_token": {"__type": "AddedToken", "content": EOS, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False},
        }, indent=2),
    }
    for name, text in files.items():
        tmp = os.path.join(d, name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, os.path.join(d, name))
    return vocab


def check_cases():
    """Texts for the TypeScript cross-check: training captions, odd spacing/case, unknown words."""
    from captions import all_captions
    texts, _, _ = all_captions()
    pick = texts[:: max(1, len(texts) // 40)][:40]
    extra = ["", "  A   Photo OF a DARK Ankle Boot  ", "a photo of an ankle boot", "a cat on a mat",
             "t-shirt,small,dark", "sneaker 42", "don't panic", "a big red dress!", "zebra's t-shirts",
             "<|startoftext|>bag<|endoftext|>", "café", "a " * 50]
    return pick + extra


if __name__ == "__main__":
    import argparse
    from captions import all_captions
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default="/tmp/fsd-tokenizer", help="folder for vocab.json, merges.txt, ...")
    ap.add_argument("--cases", help="also write {text, ids} cases here (for check_tokenizer.mjs)")
    ap.add_argument("--existing", action="store_true", help="use the tokenizer already in OUT")
    a = ap.parse_args()
    if not a.existing:
        texts, _, w = all_captions()
        write_tokenizer(a.out, train_merges(texts, w))
    tok = ClipTokenizer.from_dir(a.out)
    print(len(tok.ranks), "merges", len(tok.encoder), "tokens")
    if a.cases:
        cases = [{"text": t, "ids": tok.encode(t), "tokens": tok.tokenize(t)} for t in check_cases()]
        with open(a.cases, "w") as f:
            json.dump(cases, f, indent=1, ensure_ascii=False)
        print(len(cases), "cases ->", a.cases)
