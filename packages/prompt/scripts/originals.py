"""The originals' files the reference scripts run, pinned to the commits they were read at.

webui and ComfyUI are too large to check out here, so each script takes a folder holding their
files (a checkout, or a copy of the named files at these commits). Before anything runs, every file
(or, for the three files only partly used, every definition taken from it) is hashed and compared
with the hash recorded here: another version is refused, naming the file and the commit wanted.
Hashes are of the text with CRLF read as LF (webui's files are CRLF in its repository).
"""
import __future__
import ast
import hashlib
import os

WEBUI = "AUTOMATIC1111/stable-diffusion-webui"
COMFY = "comfyanonymous/ComfyUI"
COMPEL = "damian0815/compel"
COMPEL_COMMIT = "c60b9fbc7fa9eb443af96c326951589b5ca7a299"  # compel 2.x, "[chore] bump version"

# (repository, path) -> commit and sha256 of the whole file, imported as a module.
FILES = {
    (WEBUI, "modules/prompt_parser.py"): ("28bd8e142d5f77b71ae8d7d7140b5da1b3a49906", "4b86e92fdc8417ceee98fbf4d93b75ab22e4c0456d714ee3ca112fcce4341167"),
    (WEBUI, "modules/sd_hijack_clip.py"): ("00e09382cd85c77ac35545c7264855823dfc2eb1", "20511b4a8f05a6ab9dc2cb78c2425c4c8360e85901354c611be50d9aa67fd8c4"),
    (WEBUI, "modules/sd_emphasis.py"): ("f8391b8a8ff61bf7ebcddc9b387e6c2f206ed056", "ff093aba43639f26d010eb05e6a97f79d8bd45d6b0e63f3c9df13ec520025cb6"),
    (WEBUI, "modules/sd_hijack_open_clip.py"): ("01a40c62556b8cf3beb418e382760dd21811d3b2", "2b9a0ba62ee0c35a1585f2104861ee6aa4cdb6dd479b4dbac071b062e97a3a59"),
    (COMFY, "comfy/sd1_clip.py"): ("00728eb20fce05955f89ef1ccf5f6167416e94cf", "94ad83817129cb1566dbc8b274418c6deedb5271477242532d4e4c0eb2470fb8"),
    (COMFY, "comfy/sd2_clip.py"): ("4ddad6ea1727aabbfa646ce9befd4d3734133036", "4c6105425790556750acfa96170dae2526dcc570ad0a4118162bf8ab77bd1f4b"),
    (COMFY, "comfy/sdxl_clip.py"): ("565d67478aead9865d517270aaaff0396d1ae788", "1bb45ec86e66be450c4b9d17192c23845b103c8bcebd4bf6d0c7d15890c5bcb5"),
    (COMPEL, "src/compel/__init__.py"): (COMPEL_COMMIT, "df2c54e7cb2eb1c99bb97b6dd4c7f2a9eabfb3287b9770ad70bd47f0dc0c8387"),
    (COMPEL, "src/compel/compel.py"): (COMPEL_COMMIT, "f59cc787b1e9ba289d2b7842d89f9cf863a798b8b78d26c6fe31150c0c0dfe91"),
    (COMPEL, "src/compel/conditioning_scheduler.py"): (COMPEL_COMMIT, "1190ba8176137d9d614a32e38f32c22e08f6163f8df74ef5d2d9ca2a7c707fff"),
    (COMPEL, "src/compel/convenience_wrappers.py"): (COMPEL_COMMIT, "f99e1a0b4f7e5dbd12a21731c7c76c4cfaa5801552d68fbbe00027c75b26844f"),
    (COMPEL, "src/compel/cross_attention_control.py"): (COMPEL_COMMIT, "bb7fca7cc32d2d115ea4c664d80f6b3d3dbfd5ff2c08466a3d6cdd65b833a055"),
    (COMPEL, "src/compel/diffusers_textual_inversion_manager.py"): (COMPEL_COMMIT, "72d011bfc6ca59ff2b14e0ff9e1b4de650b70239ae8c11ecfdb27cc7877e28d1"),
    (COMPEL, "src/compel/embeddings_provider.py"): (COMPEL_COMMIT, "6dcd2044b20e11e9b74597892f4dd7fdd999cbaaa2938b73d52dab9266296ca3"),
    (COMPEL, "src/compel/prompt_parser.py"): (COMPEL_COMMIT, "311203c0952749f77d5b527943edda0b37299e68cc8cd5f7035d516c78d1e34e"),
}

# Every compel file: the package is imported whole.
COMPEL_FILES = [(repo, path) for repo, path in FILES if repo == COMPEL]

# (repository, path, definition) -> commit and sha256 of the definition's source: the files these
# come from import half of webui, so only the named classes/functions are compiled and run.
DEFINITIONS = {
    (WEBUI, "modules/textual_inversion/textual_inversion.py", "Embedding"): (
        "22ecb78b51f7e6f0234cbc0efbde4ee9a2dc466f", "719585ff1961768b7ec4a86440dc3a908991a4cf6f640054454d3e3c272929ce"),
    (WEBUI, "modules/textual_inversion/textual_inversion.py", "DirWithTextualInversionEmbeddings"): (
        "22ecb78b51f7e6f0234cbc0efbde4ee9a2dc466f", "ecabc7021d40a53a8b753d0a4ff38d0b8fc4a2b89c29edb14539619d8978c338"),
    (WEBUI, "modules/textual_inversion/textual_inversion.py", "EmbeddingDatabase"): (
        "22ecb78b51f7e6f0234cbc0efbde4ee9a2dc466f", "a7e53e6f931fcd003b1b3e933c2608adaddbe8b3548268b360762bf7f43c2d3e"),
    (WEBUI, "modules/sd_hijack.py", "EmbeddingsWithFixes"): (
        "b55127bbd4071c89f3a322b561ff28668ed2eac2", "81a6d0e450e58957676f32799f8a08b02e57562b5b2e7f1b884346b1dacf67f0"),
    (WEBUI, "modules/sd_models_xl.py", "get_learned_conditioning"): (
        "0bba67e8d9943ddcdfc7cfce38e64a44b85c8ad3", "87ebf91e7734b4a637807b7320a87d6e4870071a8375c4ac2488f0c8b0e7e4a9"),
    (WEBUI, "modules/sd_samplers_cfg_denoiser.py", "pad_cond"): (
        "72632242f7d612c7cb1c1b0b9f86ffcbfeb4e1e8", "9c67611e0c3d12e219d33ebf754a9c76821acbfd06a542d0ea1cdf9a3afe0956"),
    (WEBUI, "modules/sd_samplers_cfg_denoiser.py", "CFGDenoiser.pad_cond_uncond"): (
        "72632242f7d612c7cb1c1b0b9f86ffcbfeb4e1e8", "b7ebd7ee86dfefcc86baa4aa6581f05a3be40ed8722eae30a5d9ef92a3b51e0a"),
}


# The Python packages the references were made with (Debian 12's), by the version each reports:
# another torch or regex could change the numbers or the tokens, so another version is refused.
PYTHON_PACKAGES = {
    "python": "3.11",
    "torch": "1.13.0a0",  # Debian's python3-torch 1.13.1+dfsg reports this
    "numpy": "1.24.2",
    "regex": "2.5.123",  # python3-regex 2022.10.31
    "lark": "1.1.5",
    "pyparsing": "3.0.9",
}


def require_python_packages(names=("python", "torch", "numpy", "regex", "lark")):
    """Refuses to run under other versions of `names` than PYTHON_PACKAGES's; returns the versions."""
    import importlib
    import sys
    got = {}
    for name in names:
        version = "%d.%d" % sys.version_info[:2] if name == "python" else importlib.import_module(name).__version__
        if version != PYTHON_PACKAGES[name]:
            raise SystemExit(f"{name} {version} is not the version these references were made with ({PYTHON_PACKAGES[name]})")
        got[name] = version
    return got


# The files start with `from __future__ import annotations`: their annotations name modules not loaded here.
FUTURE_ANNOTATIONS = __future__.annotations.compiler_flag


def _digest(text):
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def _read(root, path):
    full = os.path.join(root, path)
    if not os.path.isfile(full):
        raise SystemExit(f"missing {full}: give the folder holding {path}")
    with open(full, encoding="utf-8", newline="") as f:
        return f.read().replace("\r\n", "\n")


def check_files(roots, used):
    """Refuses any file of `used` ((repo, path) pairs) that is not the pinned version; returns what ran."""
    ran = []
    for repo, path in used:
        commit, digest = FILES[(repo, path)]
        got = _digest(_read(roots[repo], path))
        if got != digest:
            raise SystemExit(f"{repo} {path} is not the version these references were made with (commit {commit}): sha256 {got}")
        ran.append({"repository": repo, "path": path, "commit": commit})
    return ran


def load_definitions(root, repo, path, names, namespace):
    """Compiles the named top-level definitions of `path` into `namespace`, each checked against its pin.

    'Class.method' takes one method out of a class: it is defined in a class of that name holding
    only it (the rest of the class is not run)."""
    source = _read(root, path)
    tree = ast.parse(source)
    ran = []
    for name in names:
        commit, digest = DEFINITIONS[(repo, path, name)]
        outer, _, inner = name.partition(".")
        node = next((n for n in tree.body if getattr(n, "name", None) == outer), None)
        if node is not None and inner:
            node = next((n for n in node.body if getattr(n, "name", None) == inner), None)
        if node is None:
            raise SystemExit(f"{repo} {path}: no {name} (wanted the version of commit {commit})")
        segment = ast.get_source_segment(source, node)
        if _digest(segment) != digest:
            raise SystemExit(f"{repo} {path}: {name} is not the version of commit {commit}: sha256 {_digest(segment)}")
        if inner:
            holder = namespace.get(outer)
            if holder is None:
                holder = type(outer, (namespace.get("torch").nn.Module,), {})
                namespace[outer] = holder
            local = {}
            body = "\n".join(line[4:] if line.startswith("    ") else line for line in segment.splitlines())
            exec(compile(body, f"{path}:{name}", "exec", FUTURE_ANNOTATIONS), namespace, local)
            setattr(holder, inner, local[inner])
        else:
            exec(compile(segment, f"{path}:{name}", "exec", FUTURE_ANNOTATIONS), namespace)
        ran.append({"repository": repo, "path": path, "definition": name, "commit": commit})
    return ran
