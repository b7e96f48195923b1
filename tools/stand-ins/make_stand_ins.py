"""Build the small stand-in ONNX models that the runtime tests run on.

    /usr/bin/python3 tools/stand-ins/make_stand_ins.py [--out packages/runtime/test/fixtures/stand-ins]

Real Stable Diffusion / latent-diffusion weights cannot be downloaded here, so the runtime's
pipelines are tested on tiny graphs that have the same input and output names as the public ONNX
export layout (unet/model.onnx, text_encoder/model.onnx, vae_decoder/model.onnx, tokenizer/).
Their weights are random (seeded): they check plumbing and numerics, not image quality.

Writes, under --out:
  tiny-unet/       class-conditional UNet with diffusers-like module names (sample [B,1,16,16],
                   timestep int64 [B], class_labels int64 [B] -> noise_pred), 3 cache branches,
                   and its model.json
  ldm/             unconditional latent UNet (sample [B,4,8,8], timestep int64 -> out_sample) and a
                   VAE decoder (latent_sample [B,4,8,8] -> sample [B,3,16,16]), model.json
  sd/              Stable-Diffusion-shaped UNet (sample [B,4,8,8], timestep float32 [B],
                   encoder_hidden_states [B,77,32] -> out_sample), CLIP-like text encoder
                   (input_ids int32 [B,77] -> last_hidden_state [B,77,32]), VAE decoder and a tiny
                   CLIP BPE tokenizer (vocab.json, merges.txt), model.json
  graphs/if-subgraph.onnx  a graph whose If branches read outer-scope tensors (cut tests)
  graphs/mac-ops.onnx      Conv, ConvTranspose, Gemm, MatMul with known MAC counts

Deterministic: torch.manual_seed(0). Needs Debian's python3-torch (1.13) and python3-onnx.
"""
import argparse
import hashlib
import json
import math
import os

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "..", "packages", "runtime", "test", "fixtures", "stand-ins")


# ---------------------------------------------------------------- diffusers-like building blocks
class Timesteps(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, t):
        half = self.dim // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        args = t.float()[:, None] * freqs[None, :]
        return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class TimestepEmbedding(nn.Module):
    def __init__(self, cin, dim):
        super().__init__()
        self.linear_1 = nn.Linear(cin, dim)
        self.act = nn.SiLU()
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x):
        return self.linear_2(self.act(self.linear_1(x)))


class ResnetBlock2D(nn.Module):
    def __init__(self, cin, cout, temb):
        super().__init__()
        self.norm1 = nn.GroupNorm(4, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(4, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.conv_shortcut(x) if self.conv_shortcut is not None else x) + h


class Attention(nn.Module):
    """Single-head attention over the pixels; cross-attention when context_dim is set."""

    def __init__(self, ch, context_dim=None):
        super().__init__()
        self.group_norm = nn.GroupNorm(4, ch)
        self.to_q = nn.Linear(ch, ch)
        self.to_k = nn.Linear(context_dim or ch, ch)
        self.to_v = nn.Linear(context_dim or ch, ch)
        self.to_out = nn.Linear(ch, ch)

    def forward(self, x, context=None):
        b, c, h, w = x.shape
        y = self.group_norm(x).reshape(b, c, h * w).transpose(1, 2)
        ctx = y if context is None else context
        q, k, v = self.to_q(y), self.to_k(ctx), self.to_v(ctx)
        a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(c), dim=-1)
        o = self.to_out(a @ v).transpose(1, 2).reshape(b, c, h, w)
        return x + o


class Downsample2D(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class DownBlock2D(nn.Module):
    def __init__(self, cin, cout, temb, down):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin, cout, temb)])
        self.downsamplers = nn.ModuleList([Downsample2D(cout)]) if down else None

    def forward(self, x, temb):
        x = self.resnets[0](x, temb)
        skip = x
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
        return x, skip


class UpBlock2D(nn.Module):
    def __init__(self, cin, skip, cout, temb, up, context_dim=None):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin + skip, cout, temb)])
        self.attentions = nn.ModuleList([Attention(cout, context_dim)]) if context_dim else None
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if up else None

    def forward(self, x, skip, temb, context=None):
        x = self.resnets[0](torch.cat([x, skip], dim=1), temb)
        if self.attentions is not None:
            x = self.attentions[0](x, context)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class UNetMidBlock2D(nn.Module):
    def __init__(self, ch, temb, context_dim=None):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(ch, ch, temb), ResnetBlock2D(ch, ch, temb)])
        self.attentions = nn.ModuleList([Attention(ch, context_dim)])

    def forward(self, x, temb, context=None):
        x = self.resnets[0](x, temb)
        x = self.attentions[0](x, context)
        return self.resnets[1](x, temb)


class TinyUNet(nn.Module):
    """Three resolution levels, a mid block with attention, skip connections: the same topology
    (and so the same three DeepCache branches) as the embedded Fashion-MNIST UNet, much smaller."""

    def __init__(self, cin, num_classes=None, context_dim=None, ch=(8, 16, 16), temb=32):
        super().__init__()
        self.conv_in = nn.Conv2d(cin, ch[0], 3, padding=1)
        self.time_proj = Timesteps(ch[0])
        self.time_embedding = TimestepEmbedding(ch[0], temb)
        self.class_embedding = nn.Embedding(num_classes + 1, temb) if num_classes else None
        self.down_blocks = nn.ModuleList([
            DownBlock2D(ch[0], ch[0], temb, True),
            DownBlock2D(ch[0], ch[1], temb, True),
            DownBlock2D(ch[1], ch[2], temb, False),
        ])
        self.mid_block = UNetMidBlock2D(ch[2], temb, context_dim)
        self.up_blocks = nn.ModuleList([
            UpBlock2D(ch[2], ch[2], ch[2], temb, True, context_dim),
            UpBlock2D(ch[2], ch[1], ch[1], temb, True, context_dim),
            UpBlock2D(ch[1], ch[0], ch[0], temb, False, context_dim),
        ])
        self.conv_norm_out = nn.GroupNorm(4, ch[0])
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(ch[0], cin, 3, padding=1)

    def forward(self, sample, timestep, class_labels=None, encoder_hidden_states=None):
        temb = self.time_embedding(self.time_proj(timestep))
        if self.class_embedding is not None:
            temb = temb + self.class_embedding(class_labels)
        x = self.conv_in(sample)
        skips = []
        for blk in self.down_blocks:
            x, s = blk(x, temb)
            skips.append(s)
        x = self.mid_block(x, temb, encoder_hidden_states)
        for blk in self.up_blocks:
            x = blk(x, skips.pop(), temb, encoder_hidden_states)
        return self.conv_out(self.conv_act(self.conv_norm_out(x)))


class SdUNet(TinyUNet):
    """diffusers' ONNX export signature: (sample, timestep, encoder_hidden_states)."""

    def forward(self, sample, timestep, encoder_hidden_states):  # noqa: D102
        return super().forward(sample, timestep, None, encoder_hidden_states)


class TextEncoder(nn.Module):
    def __init__(self, vocab, dim=32, length=77):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, dim)
        self.position_embedding = nn.Embedding(length, dim)
        self.fc = nn.Linear(dim, dim)
        self.final_layer_norm = nn.LayerNorm(dim)

    def forward(self, input_ids):
        pos = torch.arange(input_ids.shape[1])
        h = self.token_embedding(input_ids.long()) + self.position_embedding(pos)[None]
        # a causal running mean mixes the tokens, so every position depends on the prompt
        h = torch.cumsum(h, dim=1) / (pos[None, :, None] + 1).float()
        return self.final_layer_norm(self.fc(F.gelu(h)))


class VaeDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.post_quant_conv = nn.Conv2d(4, 4, 1)
        self.conv_in = nn.Conv2d(4, 8, 3, padding=1)
        self.upsamplers = nn.ModuleList([Upsample2D(8)])
        self.conv_out = nn.Conv2d(8, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = self.conv_in(self.post_quant_conv(latent_sample))
        return self.conv_out(F.silu(self.upsamplers[0](h)))


# ---------------------------------------------------------------- helpers
def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def export(module, args, path, input_names, output_names, dynamic):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, path, opset_version=17, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))


def cache_tensors(path):
    """The decoder features DeepCache caches: branch 0 = output of up_blocks.1 (into up_blocks.2),
    branch 1 = output of up_blocks.0, branch 2 = output of the mid block."""
    nodes = list(onnx.load(path).graph.node)
    pairs = {0: ("/up_blocks.1/", "/up_blocks.2/"), 1: ("/up_blocks.0/", "/up_blocks.1/"),
             2: ("/mid_block/", "/up_blocks.0/")}
    out = []
    for b, (src, dst) in sorted(pairs.items()):
        produced = {o for n in nodes if n.name.startswith(src) for o in n.output}
        crossing = sorted({t for n in nodes if n.name.startswith(dst) for t in n.input if t in produced})
        assert len(crossing) == 1, (b, crossing)
        out.append({"branch": b, "tensor": crossing[0]})
    return out


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


SCHEDULER = {"trainTimesteps": 1000, "betaSchedule": "linear", "betaStart": 0.0001, "betaEnd": 0.02}
PROVENANCE = {"tool": "tools/stand-ins/make_stand_ins.py", "weights": "random (torch.manual_seed(0)); a stand-in, not a trained model"}


def make_tiny_unet(out):
    d = os.path.join(out, "tiny-unet")
    net = TinyUNet(1, num_classes=10)
    p = os.path.join(d, "unet.onnx")
    export(net, (torch.randn(2, 1, 16, 16), torch.tensor([999, 10]), torch.tensor([3, 10])), p,
           ["sample", "timestep", "class_labels"], ["noise_pred"],
           {"sample": {0: "batch"}, "timestep": {0: "batch"}, "class_labels": {0: "batch"}, "noise_pred": {0: "batch"}})
    write_json(os.path.join(d, "model.json"), {
        "format": 1, "name": "tiny-unet", "family": "class-conditional",
        "unet": {"file": "unet.onnx", "sha256": sha256(p),
                 "inputs": {"sample": "sample", "timestep": "timestep", "classLabels": "class_labels"},
                 "output": "noise_pred", "sampleShape": [1, 16, 16], "prediction": "epsilon",
                 "cache": cache_tensors(p)},
        "scheduler": SCHEDULER,
        "conditioning": {"numClasses": 10, "unconditionalLabel": 10, "defaultGuidanceScale": 2},
        "image": {"range": [-1, 1]},
        "provenance": PROVENANCE,
    })


def make_ldm(out):
    d = os.path.join(out, "ldm")
    net = TinyUNet(4)
    p = os.path.join(d, "unet", "model.onnx")
    export(net, (torch.randn(2, 4, 8, 8), torch.tensor([999, 10])), p, ["sample", "timestep"], ["out_sample"],
           {"sample": {0: "batch"}, "timestep": {0: "batch"}, "out_sample": {0: "batch"}})
    v = os.path.join(d, "vae_decoder", "model.onnx")
    export(VaeDecoder(), (torch.randn(2, 4, 8, 8),), v, ["latent_sample"], ["sample"],
           {"latent_sample": {0: "batch"}, "sample": {0: "batch"}})
    write_json(os.path.join(d, "model.json"), {
        "format": 1, "name": "ldm-stand-in", "family": "latent",
        "unet": {"file": "unet/model.onnx", "sha256": sha256(p),
                 "inputs": {"sample": "sample", "timestep": "timestep"},
                 "output": "out_sample", "sampleShape": [4, 8, 8], "prediction": "epsilon",
                 "cache": cache_tensors(p)},
        "scheduler": SCHEDULER,
        "vae": {"file": "vae_decoder/model.onnx", "sha256": sha256(v), "input": "latent_sample",
                "output": "sample", "scalingFactor": 0.18215},
        "image": {"range": [-1, 1]},
        "provenance": PROVENANCE,
    })


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


def make_tokenizer(d):
    """A CLIP-format BPE tokenizer with a tiny vocabulary: the 256 byte symbols, their '</w>' forms,
    the merges that spell a few whole words, and the two special tokens."""
    os.makedirs(d, exist_ok=True)
    base = list(bytes_to_unicode().values())
    vocab = base + [c + "</w>" for c in base]
    merges = []
    for word in ["a", "photo", "of", "cat", "dog", "fashion", "shoe", "red"]:
        sym = list(word[:-1]) + [word[-1] + "</w>"]
        while len(sym) > 1:
            merges.append(f"{sym[0]} {sym[1]}")
            merged = sym[0] + sym[1]
            if merged not in vocab:
                vocab.append(merged)
            sym = [merged] + sym[2:]
    # de-duplicate merges, keeping the first rank
    seen, uniq = set(), []
    for m in merges:
        if m not in seen:
            seen.add(m)
            uniq.append(m)
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    write_json(os.path.join(d, "vocab.json"), {t: i for i, t in enumerate(vocab)})
    with open(os.path.join(d, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "\n".join(uniq) + "\n")
    write_json(os.path.join(d, "special_tokens_map.json"), {
        "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>"})
    return len(vocab)


def make_sd(out):
    d = os.path.join(out, "sd")
    vocab_size = make_tokenizer(os.path.join(d, "tokenizer"))
    net = SdUNet(4, context_dim=32)
    p = os.path.join(d, "unet", "model.onnx")
    export(net, (torch.randn(2, 4, 8, 8), torch.tensor([999.0, 10.0]), torch.randn(2, 77, 32)), p,
           ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
           {"sample": {0: "batch"}, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch"},
            "out_sample": {0: "batch"}})
    t = os.path.join(d, "text_encoder", "model.onnx")
    export(TextEncoder(vocab_size), (torch.zeros(2, 77, dtype=torch.int32),), t, ["input_ids"],
           ["last_hidden_state"], {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}})
    v = os.path.join(d, "vae_decoder", "model.onnx")
    export(VaeDecoder(), (torch.randn(2, 4, 8, 8),), v, ["latent_sample"], ["sample"],
           {"latent_sample": {0: "batch"}, "sample": {0: "batch"}})
    write_json(os.path.join(d, "model.json"), {
        "format": 1, "name": "sd-stand-in", "family": "stable-diffusion",
        "unet": {"file": "unet/model.onnx", "sha256": sha256(p),
                 "inputs": {"sample": "sample", "timestep": "timestep", "encoderHiddenStates": "encoder_hidden_states"},
                 "output": "out_sample", "sampleShape": [4, 8, 8], "prediction": "epsilon",
                 "cache": cache_tensors(p)},
        "scheduler": {"trainTimesteps": 1000, "betaSchedule": "scaled_linear", "betaStart": 0.00085, "betaEnd": 0.012},
        "textEncoder": {"file": "text_encoder/model.onnx", "sha256": sha256(t), "input": "input_ids",
                        "output": "last_hidden_state", "maxLength": 77},
        "tokenizer": {"vocab": "tokenizer/vocab.json", "merges": "tokenizer/merges.txt"},
        "vae": {"file": "vae_decoder/model.onnx", "sha256": sha256(v), "input": "latent_sample",
                "output": "sample", "scalingFactor": 0.18215},
        "conditioning": {"defaultGuidanceScale": 7.5},
        "image": {"range": [-1, 1]},
        "provenance": PROVENANCE,
    })


def make_graphs(out):
    d = os.path.join(out, "graphs")
    os.makedirs(d, exist_ok=True)
    f = TensorProto.FLOAT
    # If subgraphs that read outer-scope tensors: y = If(cond){ a + k }{ b * k } + c,
    # with a = x + 1, b = x * 2, c = Relu(x); k = x - 3 is used only inside the branches.
    one = helper.make_tensor("one", f, [], [1.0])
    two = helper.make_tensor("two", f, [], [2.0])
    three = helper.make_tensor("three", f, [], [3.0])
    unused = helper.make_tensor("unused_weight", f, [2], [5.0, 6.0])
    then_g = helper.make_graph([helper.make_node("Add", ["a", "k"], ["then_out"])], "then",
                               [], [helper.make_tensor_value_info("then_out", f, [None])])
    else_g = helper.make_graph([helper.make_node("Mul", ["b", "k"], ["else_out"])], "else",
                               [], [helper.make_tensor_value_info("else_out", f, [None])])
    nodes = [
        helper.make_node("Add", ["x", "one"], ["a"], name="make_a"),
        helper.make_node("Mul", ["x", "two"], ["b"], name="make_b"),
        helper.make_node("Sub", ["x", "three"], ["k"], name="make_k"),
        helper.make_node("Relu", ["x"], ["c"], name="make_c"),
        helper.make_node("Neg", ["c"], ["c_neg"], name="make_c_neg"),
        helper.make_node("Mul", ["c_neg", "unused_weight"], ["side"], name="side_branch"),
        helper.make_node("If", ["cond"], ["branch_out"], name="the_if", then_branch=then_g, else_branch=else_g),
        helper.make_node("Add", ["branch_out", "c_neg"], ["y"], name="make_y"),
    ]
    g = helper.make_graph(nodes, "if_subgraph",
                          [helper.make_tensor_value_info("x", f, [None]),
                           helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
                          [helper.make_tensor_value_info("y", f, [None]),
                           helper.make_tensor_value_info("side", f, [2])],
                          [one, two, three, unused])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(d, "if-subgraph.onnx"))

    # Known MACs at batch 1: conv 1x3x8x8 -> 4 ch, k3, pad1: 4*8*8 * 3*9 = 6912
    # convT 1x4x8x8 -> 2 ch, k2 s2: 4*8*8 (input elems) * 2 * 4 = 2048 (output 1x2x16x16)
    # matmul [1,256? ] ... see below
    g2 = torch.Generator().manual_seed(1)

    def rnd(name, shape):
        return helper.make_tensor(name, f, shape, torch.randn(*shape, generator=g2).flatten().tolist())

    nodes = [
        helper.make_node("Conv", ["image", "w_conv"], ["h1"], name="conv", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("ConvTranspose", ["h1", "w_convt"], ["h2"], name="convt", strides=[2, 2], kernel_shape=[2, 2]),
        helper.make_node("Reshape", ["h2", "shape_2d"], ["h3"], name="flatten"),  # [B, 2*16*16 = 512]
        helper.make_node("Gemm", ["h3", "w_gemm", "b_gemm"], ["h4"], name="gemm", transB=1),  # 512 -> 10: 5120
        helper.make_node("Reshape", ["h4", "shape_3d"], ["h5"], name="to3d"),  # [B, 5, 2]
        helper.make_node("MatMul", ["h5", "w_mm"], ["logits"], name="matmul"),  # [B,5,2]x[2,3]: 5*3*2 = 30
    ]
    inits = [rnd("w_conv", [4, 3, 3, 3]), rnd("w_convt", [4, 2, 2, 2]), rnd("w_gemm", [10, 512]), rnd("b_gemm", [10]),
             rnd("w_mm", [2, 3]), helper.make_tensor("shape_2d", TensorProto.INT64, [2], [-1, 512]),
             helper.make_tensor("shape_3d", TensorProto.INT64, [3], [-1, 5, 2])]
    g = helper.make_graph(nodes, "mac_ops", [helper.make_tensor_value_info("image", f, ["batch", 3, 8, 8])],
                          [helper.make_tensor_value_info("logits", f, ["batch", 5, 3])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(d, "mac-ops.onnx"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    out = os.path.abspath(args.out)
    make_tiny_unet(out)
    make_ldm(out)
    make_sd(out)
    make_graphs(out)
    total = 0
    for root, _, files in os.walk(out):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    print(f"wrote stand-ins to {out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
