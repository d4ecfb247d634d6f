"""The upstream files scripts/sd3/make-sd3-flux-references.py runs, pinned to the commits they were read at.

diffusers and ComfyUI cannot be installed or checked out whole here, so the script takes two folders
holding these files at these commits (a checkout, or the files alone, e.g.
`git -C ComfyUI show a220d11e6b8dd0dbbf50f81ab9398ec202a96fe6:comfy/sd1_clip.py > DIR/comfy/sd1_clip.py`).
Each file is hashed (sha256 of its text, CRLF read as LF) before anything runs: another version is
refused, naming the file and the commit wanted.

ComfyUI a220d11 (2024-12-09) is the last commit before 1c8d11e4 ("Support different types of
tokenizers"), which stopped splitting prompts into words; @sdtext/prompt's ComfyUI dialect follows
the word-splitting tokenizer, so SD3 and Flux are pinned to the same behaviour.
"""
import hashlib
import os

DIFFUSERS = "huggingface/diffusers"
COMFY = "comfyanonymous/ComfyUI"

DIFFUSERS_COMMIT = "58eb52c0803ea9af3abec60841c2a093bdf1f951"
COMFY_COMMIT = "a220d11e6b8dd0dbbf50f81ab9398ec202a96fe6"

# (repository, path) -> (commit, sha256)
FILES = {
    (DIFFUSERS, "src/diffusers/pipelines/stable_diffusion_3/pipeline_stable_diffusion_3.py"): (
        DIFFUSERS_COMMIT, "b1299e0549145df66c98f9b2260545076d08038dc074b58480c65fc5793061c5"),
    (DIFFUSERS, "src/diffusers/pipelines/flux/pipeline_flux.py"): (
        DIFFUSERS_COMMIT, "7e86405e93237c33f8e6b86d673e9f78a0556cd3e5a1e6a0be50098571c9ee2a"),
    (COMFY, "comfy/sd1_clip.py"): (COMFY_COMMIT, "5852d6641a6496b7a3ae3f832384e1c9eaa19fc5455a796e17c899485c0589a5"),
    (COMFY, "comfy/sdxl_clip.py"): (COMFY_COMMIT, "1bb45ec86e66be450c4b9d17192c23845b103c8bcebd4bf6d0c7d15890c5bcb5"),
    (COMFY, "comfy/text_encoders/sd3_clip.py"): (COMFY_COMMIT, "0b7afef34c3e1618e934f58ad07af30af2c895b67a7e488ed5fd7a8bab300661"),
    (COMFY, "comfy/text_encoders/flux.py"): (COMFY_COMMIT, "8b820cccb1f0013eae10d6f5fbeb81469f59da18568e0d51a42965aa4240e720"),
}


def read_pinned(root, repo, path):
    """The file's text, refused unless it is the pinned version; and its record for the fixture."""
    commit, digest = FILES[(repo, path)]
    full = os.path.join(root, path)
    if not os.path.isfile(full):
        raise SystemExit(f"missing {full}: give the folder holding {repo}'s {path} at {commit}")
    with open(full, encoding="utf-8", newline="") as f:
        text = f.read().replace("\r\n", "\n")
    got = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if got != digest:
        raise SystemExit(f"{repo} {path} is not the version these references were made with (commit {commit}): sha256 {got}")
    return text, {"repository": repo, "path": path, "commit": commit, "sha256": digest}
