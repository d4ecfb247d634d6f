#!/usr/bin/env python3
"""Golden parser outputs from the original front ends' own code.

    python3 scripts/make_parser_fixtures.py --webui DIR --comfy DIR --compel DIR > test/fixtures/parsers.json

DIR is a checkout, or a folder holding the named files at these commits (originals.py hashes each
file before it runs and refuses any other version; the commits are recorded in the output):
  --webui   AUTOMATIC1111/stable-diffusion-webui @ 28bd8e1 modules/prompt_parser.py (needs lark 1.1.5)
  --comfy   comfyanonymous/ComfyUI @ 00728eb comfy/sd1_clip.py (transformers, ops, clip_model stubbed)
  --compel  damian0815/compel @ c60b9fb src/compel/*.py (needs pyparsing 3.0.9)
Nothing of those projects is copied into sdtext: this script runs them and records what they return.
"""
import argparse
import doctest
import ast
import importlib
import json
import math
import os
import random
import subprocess
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from originals import COMFY, COMPEL_FILES, WEBUI, check_files, require_python_packages  # noqa: E402

# lark's Earley parser keeps items in sets, so where the webui grammar is ambiguous (a schedule
# closed right before a run of literal "]" or ":"), which tree wins depends on Python's string hash
# seed: the webui itself answers differently from one run to the next. Schedules are therefore
# computed under several seeds and every distinct answer is recorded.
HASH_SEEDS = range(8)
SCHEDULE_MODES = {"10": (10, None, False), "20": (20, None, False), "10+20": (10, 20, False), "10+20old": (10, 20, True)}

HAND_WRITTEN = [
    "", " ", "a", "a cat", "normal text", "an (important) word", "(unbalanced", "\\(literal\\]",
    "(unnecessary)(parens)", "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
    "a (red:1.3) cat, [blurry] BREAK masterpiece", "BREAK", "a BREAK b", "aBREAK b", "a BREAKb",
    "a  BREAK  BREAK b", "(a BREAK b:1.5)", "[a BREAK b]", "BREAKBREAK", "a\nBREAK\nb", "éBREAK b",
    "(a:1.2.3)", "(a:.)", "(a: 1.5 )", "(a:+1.5)", "(a:-1)", "(a:0)", "(a:1e3)", "(a:1.)", "(a:.5)",
    "((a:1.5):2)", "[[a]]", "[a:b]", "(a:b)", "a)", "a]", ")(", "][", "\\", "a\\", "\\\\", "\\a",
    "\\(a:1.5\\)", "(\\(a\\):1.5)", "a (b", "a [b", "a ((b) c", "a [[b] c", "((a)", "[[a]",
    "a [b:3]", "a [b: 3]", "a [[[b]]:2]", "[(a:2):3]", "a [b : c : 1] d", "a[b:[c:d:2]:1]e",
    "a [unbalanced", "a [b:.5] c", "a [{b|d{:.5] c", "((a][:b:c [d:3]", "[a|(b:1.1)]", "[fe|]male",
    "[fe|||]male", "a [b:1.5] c", "[a:b:0.3]", "[a:b:3 ]", "[a:b: 3 ]", "[a:b:-1]", "[a:b:0]",
    "[a:b:1e1]", "[a:b:2.5]", "[a:b:10]", "[a:b:100]", "[a|b|c]", "[a|[b|c]]", "[a|[b:c:4]]",
    "[[a|b]:c:5]", "[a:[b|c]:5]", "[|]", "[a|]", "[|a]", "a|b", "[a|b] c|d", "[a:b:c:3]", "[a::3]",
    "[:a:3]", "[::3]", "[a:3", "a:3]", "[a(b:3]", "[(a]:3]", "([a:b:3]:1.2)", "([a|b])", "[a [b:3] c:d:5]",
    "fantasy landscape with a [mountain:lake:0.25] and [an oak:a christmas tree:0.75][ in foreground::0.6][: in background:0.25] [shoddy:masterful:0.5]",
    "a cat AND a dog", "a cat :1.2 AND a dog AND a penguin :2.2", "a cat AND", "AND", "ANDROID AND x",
    "a cat:0.5", "a cat : -0.5 AND dog:2.", "a cat:.5", "a cat:1e3", "a cat AND a dog AND a cat",
    "a cat ANDa dog", "a\ncat : 1.5 \n AND b", "(a:1.2) AND [b|c] :0.8",
    "a+ cat", "a++ cat-", "(a cat)1.3", "(a cat)+", "(a cat)--", "(a (cat)1.2)0.5", "\"a cat\"1.2",
    "(\"a cat\", \"a dog\").blend(0.7, 0.3)", "(\"a\", \"b\").blend()", "(\"a\", \"b\").blend(1, 2, no_normalize)",
    "(\"a cat\", \"a dog\").and()", "(\"a cat\", \"a dog\").and(1, 0.5)", "(a, b).and()", "a cat.and()",
    "(a cat).attend(1.3)", "(a cat).attend(--)", "a,b,c", "a, (b)1.1, c", "a -1 b", "a - b", "a+ b+ c+",
    "(a+)++", "a\\+ b", "a\\(b\\)", "1girl, 8k", "a cat (wearing a hat)0.8, (smiling)++",
    "(a:1.1) (b) [c] d", "a (b (c (d:1.5)))", "a (b:1.2) (c:0.8)", "(a:inf)", "(a:nan)", "(a:1_0)",
    "(a:1.2)(b:1.2)", "(a:1.2) (b:1.2)", "a ((b:1.5)", "((b:1.5)) a", "(:1.2)", "(a:)", "(a:1.2:1.3)",
    "[a:b:c]", "a:b", "\\\\(a\\\\)", "(a\\:1.2)", "hello!! world", "a, b, c, d, e, f",
    "masterpiece, best quality, (1girl:1.2), [city] at night, neon lights, 8k, (red dress:0.9)",
    # Python's \d and float() read every Unicode decimal digit (Arabic-Indic, Persian, mathematical).
    "(a:\u0661.\u0665) b", "(a:\u06f2) b", "[c] (d:\u0660.5)", "(x:1.\u0665)", "(y:\U0001d7cf.5)", "[a:b:\u0663]",
]

PIECES = [
    "a", "cat", " ", "  ", "red dog", ", ", ",", ".", "(", ")", "[", "]", ":", "|", "\\", "\\(", "\\)",
    "\\[", "\\]", "1.2", "0.5", "3", ".5", ":1.3)", " AND ", "AND", " BREAK ", "BREAK", "+", "-", "++",
    "\"", "\"a b\"", ".blend(0.5, 0.5)", ".and()", "1", "\n", "é", ":2]", "[x:y:4]", "[p|q]", "(z:0.8)",
]


def random_prompts(n, seed=1234):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.randint(1, 12)
        out.append("".join(rng.choice(PIECES) for _ in range(k)))
    return out


def plain(x):
    """JSON-safe: tuples to lists, non-finite floats to strings (JSON has no NaN)."""
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    return x


def attempt(fn):
    try:
        return {"ok": plain(fn())}
    except Exception as e:  # the originals raise on some inputs (float("1.2.3")); that is recorded
        return {"error": type(e).__name__}


def load_webui(root):
    sys.path.insert(0, root)
    return importlib.import_module("modules.prompt_parser")


def load_comfy(root):
    # sd1_clip imports transformers and sibling modules it only needs for models: stub those.
    sys.modules.setdefault("transformers", types.SimpleNamespace(CLIPTokenizer=object))
    pkg = types.ModuleType("comfy")
    pkg.__path__ = [root + "/comfy"]
    sys.modules["comfy"] = pkg
    for name in ("ops", "model_management", "clip_model"):
        sys.modules["comfy." + name] = types.ModuleType("comfy." + name)
    sys.modules["comfy.clip_model"].CLIPTextModel = object  # a default argument of SDClipModel, never called here
    return importlib.import_module("comfy.sd1_clip")


def load_compel(root):
    import pyparsing as pp
    if not hasattr(pp, "DelimitedList"):
        # Debian's pyparsing 3.0.9 predates the DelimitedList class (3.1); its delimited_list is the
        # same grammar (comma-separated, min count), so alias it rather than change compel.
        pp.DelimitedList = lambda expr, min=None: pp.delimited_list(expr, min=min)
    sys.path.insert(0, root + "/src/compel")
    return importlib.import_module("prompt_parser")


def compel_node(node, pp):
    """The parsed compel structure as plain data (class name + fields), the way compel's __repr__ shows it."""
    name = type(node).__name__
    if name == "Conjunction":
        return {"type": "Conjunction", "prompts": [compel_node(p, pp) for p in node.prompts], "weights": plain(node.weights)}
    if name == "Blend":
        return {"type": "Blend", "prompts": [compel_node(p, pp) for p in node.prompts], "weights": plain(node.weights),
                "normalize": node.normalize_weights}
    if name == "FlattenedPrompt":
        return {"type": "FlattenedPrompt", "children": [compel_node(c, pp) for c in node.children]}
    if name == "Fragment":
        return {"type": "Fragment", "text": node.text, "weight": plain(node.weight)}
    return {"type": name, "repr": repr(node)}


def schedules_here(webui, prompts):
    g = webui.get_learned_conditioning_prompt_schedules
    return [{k: attempt(lambda: g([p], base, hires, old)[0]) for k, (base, hires, old) in SCHEDULE_MODES.items()}
            for p in prompts]


def schedules_over_seeds(args, prompts):
    """Per prompt and mode, the distinct outcomes over HASH_SEEDS (one process per seed)."""
    runs = []
    for seed in HASH_SEEDS:
        env = dict(os.environ, PYTHONHASHSEED=str(seed))
        out = subprocess.run([sys.executable, __file__, "--webui", args.webui, "--comfy", args.comfy, "--compel", args.compel,
                              "--schedules-only"], input=json.dumps(prompts), capture_output=True, text=True, env=env, check=True)
        runs.append(json.loads(out.stdout))
    merged = []
    for i in range(len(prompts)):
        per_mode = {}
        for k in SCHEDULE_MODES:
            distinct = []
            for run in runs:
                if run[i][k] not in distinct:
                    distinct.append(run[i][k])
            per_mode[k] = distinct
        merged.append(per_mode)
    return merged


def doctests(module):
    out = []
    finder = doctest.DocTestFinder()
    for test in finder.find(module):
        for ex in test.examples:
            out.append({"function": test.name.split(".")[-1], "source": ex.source.strip(), "want": ex.want.strip()})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--webui", required=True)
    ap.add_argument("--comfy", required=True)
    ap.add_argument("--compel", required=True)
    ap.add_argument("--random", type=int, default=300)
    ap.add_argument("--schedules-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    ran = check_files({WEBUI: args.webui, COMFY: args.comfy, "damian0815/compel": args.compel},
                      [(WEBUI, "modules/prompt_parser.py"), (COMFY, "comfy/sd1_clip.py"), *COMPEL_FILES])
    versions = require_python_packages(("python", "lark", "pyparsing"))
    webui = load_webui(args.webui)
    if args.schedules_only:
        json.dump(schedules_here(webui, json.load(sys.stdin)), sys.stdout)
        return

    comfy = load_comfy(args.comfy)
    compel = load_compel(args.compel)
    compel_parser = compel.PromptParser()

    # The webui doctests, verbatim, with what the code returns for each (one documented case disagrees
    # with the code it documents; the code is the reference).
    tests = doctests(webui)
    scope = {"get_learned_conditioning_prompt_schedules": webui.get_learned_conditioning_prompt_schedules,
             "parse_prompt_attention": webui.parse_prompt_attention}
    for t in tests:
        src = t["source"].split("  #")[0]
        if src.startswith("g = "):
            exec(src, scope)
            t["setup"] = True
            continue
        t["expected"] = ast.literal_eval(t["want"])
        t["actual"] = plain(eval(src, scope))

    prompts = []
    for p in HAND_WRITTEN + random_prompts(args.random):
        if p not in prompts:
            prompts.append(p)

    schedules = schedules_over_seeds(args, prompts)
    cases = []
    for p, sched in zip(prompts, schedules):
        cases.append({
            "prompt": p,
            "a1111": {
                "attention": attempt(lambda: webui.parse_prompt_attention(p)),
                "schedules": sched,
                "multicond": attempt(lambda: webui.get_multicond_prompt_list([p])[:2]),
            },
            "comfy": attempt(lambda: [(comfy.unescape_important(t), w) for t, w in comfy.token_weights(comfy.escape_important(p), 1.0)]),
            "compel": attempt(lambda: compel_node(compel_parser.parse_conjunction(p), compel)),
        })

    json.dump({"generator": "packages/prompt/scripts/make_parser_fixtures.py", "originals": ran, "python": versions, "doctests": tests, "cases": cases},
              sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
