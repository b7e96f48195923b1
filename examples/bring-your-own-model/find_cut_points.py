"""Find the cache branches (cut points) of a UNet exported to ONNX from diffusers.

    python3 find_cut_points.py unet.onnx            # prints the "cache" array for model.json
    python3 find_cut_points.py unet.onnx --list     # also lists the decoder nodes, to choose by hand

DeepCache caches the decoder feature that one up block hands to the next. With K up blocks
(`up_blocks.0` … `up_blocks.{K-1}`, deepest first) there are K branches, shallowest first:

    branch 0      output of up_blocks.{K-2}, the input of up_blocks.{K-1}   (cheapest partial step)
    branch b      output of up_blocks.{K-2-b}, the input of up_blocks.{K-1-b}
    branch K-1    output of mid_block, the input of up_blocks.0             (dearest partial step)

A partial step of branch b re-runs only the outer encoder blocks (whose skip connections it
still needs) and the up blocks after the cut. The tensor of a branch is found by name: the one
tensor produced inside the upstream block and read by a node of the downstream block. This
relies on torch.onnx.export's node names (`/up_blocks.1/upsamplers.0/conv/Conv`, or
`/unet/up_blocks.1/…` when the UNet is wrapped in a module attribute `unet`), which diffusers'
module names give; for other exports pass --list and pick the tensors yourself.

Needs the `onnx` Python package only. Weights in external data files are not loaded.
"""
import argparse
import json
import re

import onnx


def crossing(nodes, src, dst):
    produced = {o for n in nodes if n.name.startswith(src) for o in n.output}
    return sorted({t for n in nodes if n.name.startswith(dst) for t in n.input if t in produced})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", help="the exported UNet (.onnx)")
    ap.add_argument("--list", action="store_true", help="list the mid and up block nodes with their outputs")
    args = ap.parse_args()

    nodes = list(onnx.load(args.model, load_external_data=False).graph.node)
    found = [m for n in nodes for m in [re.match(r"^(.*?)/up_blocks\.(\d+)/", n.name)] if m]
    prefixes = sorted({m.group(1) for m in found})
    if len(prefixes) != 1:
        raise SystemExit(f"expected the nodes of one diffusers UNet (…/up_blocks.N/…), found prefixes {prefixes}; "
                         "use --list and pick the tensors by hand")
    pre = prefixes[0]
    if args.list:
        for n in nodes:
            if n.name.startswith((f"{pre}/mid_block/", f"{pre}/up_blocks.")):
                print(f"{n.op_type:<16} {n.name:<60} -> {', '.join(n.output)}")
    K = len({int(m.group(2)) for m in found})
    pairs = [(f"{pre}/up_blocks.{K - 2 - b}/", f"{pre}/up_blocks.{K - 1 - b}/") for b in range(K - 1)]
    pairs.append((f"{pre}/mid_block/", f"{pre}/up_blocks.0/"))
    cache = []
    for b, (src, dst) in enumerate(pairs):
        found = crossing(nodes, src, dst)
        if len(found) != 1:
            raise SystemExit(f"branch {b}: expected one tensor from {src} into {dst}, found {found}; use --list")
        cache.append({"branch": b, "tensor": found[0]})
    print(json.dumps(cache, indent=2))


if __name__ == "__main__":
    main()
