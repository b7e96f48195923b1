"""Networks of model-fashion-sd, with diffusers / transformers module names so that the ONNX node
names look like a diffusers export (/down_blocks.0/attentions.0/..., /mid_block/..., /up_blocks.1/
upsamplers.0/conv/Conv_output_0) and the runtime's automatic cut points apply.

  AutoencoderKL          32x32x1 in [-1,1] -> 4x8x8 latents (encoder, quant_conv, post_quant_conv, decoder)
  CLIPTextModel          causal transformer, final layer norm, last_hidden_state [N,77,d]
  CLIPModel              text tower + small CNN image tower + projections (contrastive)
  UNet2DConditionModel   cross-attention UNet on 8x8 latents, levels 8/4/2, SD's block topology
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

TRAIN_TIMESTEPS = 1000
BETA_START, BETA_END = 0.00085, 0.012   # SD-1.5 "scaled_linear"


def sd_alphas_cumprod():
    betas = torch.linspace(BETA_START ** 0.5, BETA_END ** 0.5, TRAIN_TIMESTEPS, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0)


# ------------------------------------------------------------------------------------ shared
class ResnetBlock2D(nn.Module):
    def __init__(self, cin, cout, temb_dim=None, groups=32, eps=1e-5):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb_dim, cout) if temb_dim else None
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.nonlinearity = nn.SiLU()
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb=None):
        h = self.conv1(self.nonlinearity(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(self.nonlinearity(temb))[:, :, None, None]
        h = self.conv2(self.nonlinearity(self.norm2(h)))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return x + h


class Attention(nn.Module):
    """diffusers Attention: to_q, to_k, to_v, to_out.0 (no bias on q/k/v as in SD's UNet)."""

    def __init__(self, dim, context_dim=None, heads=1, bias=False, out_bias=True):
        super().__init__()
        context_dim = context_dim or dim
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=bias)
        self.to_k = nn.Linear(context_dim, dim, bias=bias)
        self.to_v = nn.Linear(context_dim, dim, bias=bias)
        self.to_out = nn.ModuleList([nn.Linear(dim, dim, bias=out_bias), nn.Dropout(0.0)])

    def forward(self, x, context=None):
        context = x if context is None else context
        b, n, d = x.shape
        h = self.heads
        q = self.to_q(x).reshape(b, n, h, d // h).transpose(1, 2)
        k = self.to_k(context).reshape(b, context.shape[1], h, d // h).transpose(1, 2)
        v = self.to_v(context).reshape(b, context.shape[1], h, d // h).transpose(1, 2)
        a = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * (d // h) ** -0.5, dim=-1)
        o = torch.matmul(a, v).transpose(1, 2).reshape(b, n, d)
        return self.to_out[1](self.to_out[0](o))


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


# ------------------------------------------------------------------------------------ VAE
class VaeAttention(nn.Module):
    """diffusers VAE mid-block attention (group_norm, to_q/k/v with bias, to_out.0, residual)."""

    def __init__(self, ch, groups):
        super().__init__()
        self.group_norm = nn.GroupNorm(groups, ch, eps=1e-6)
        self.to_q = nn.Linear(ch, ch)
        self.to_k = nn.Linear(ch, ch)
        self.to_v = nn.Linear(ch, ch)
        self.to_out = nn.ModuleList([nn.Linear(ch, ch), nn.Dropout(0.0)])

    def forward(self, x):
        b, c, h, w = x.shape
        y = self.group_norm(x).reshape(b, c, h * w).transpose(1, 2)
        q, k, v = self.to_q(y), self.to_k(y), self.to_v(y)
        a = torch.softmax(torch.bmm(q, k.transpose(1, 2)) * c ** -0.5, dim=-1)
        o = self.to_out[0](torch.bmm(a, v)).transpose(1, 2).reshape(b, c, h, w)
        return x + o


class VaeMidBlock(nn.Module):
    def __init__(self, ch, groups):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(ch, ch, None, groups, 1e-6), ResnetBlock2D(ch, ch, None, groups, 1e-6)])
        self.attentions = nn.ModuleList([VaeAttention(ch, groups)])

    def forward(self, x):
        return self.resnets[1](self.attentions[0](self.resnets[0](x)))


class DownEncoderBlock2D(nn.Module):
    def __init__(self, cin, cout, groups, down):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin, cout, None, groups, 1e-6)])
        self.downsamplers = nn.ModuleList([Downsample2D(cout)]) if down else None

    def forward(self, x):
        for r in self.resnets:
            x = r(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
        return x


class UpDecoderBlock2D(nn.Module):
    def __init__(self, cin, cout, groups, up, layers=2):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if i == 0 else cout, cout, None, groups, 1e-6) for i in range(layers)])
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if up else None

    def forward(self, x):
        for r in self.resnets:
            x = r(x)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class Encoder(nn.Module):
    def __init__(self, chans, latent, groups):
        super().__init__()
        self.conv_in = nn.Conv2d(1, chans[0], 3, padding=1)
        blocks, cin = [], chans[0]
        for i, c in enumerate(chans):
            blocks.append(DownEncoderBlock2D(cin, c, groups, i < len(chans) - 1))
            cin = c
        self.down_blocks = nn.ModuleList(blocks)
        self.mid_block = VaeMidBlock(chans[-1], groups)
        self.conv_norm_out = nn.GroupNorm(groups, chans[-1], eps=1e-6)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(chans[-1], 2 * latent, 3, padding=1)

    def forward(self, x):
        x = self.conv_in(x)
        for b in self.down_blocks:
            x = b(x)
        return self.conv_out(self.conv_act(self.conv_norm_out(self.mid_block(x))))


class Decoder(nn.Module):
    def __init__(self, chans, latent, groups):
        super().__init__()
        rev = list(reversed(chans))
        self.conv_in = nn.Conv2d(latent, rev[0], 3, padding=1)
        self.mid_block = VaeMidBlock(rev[0], groups)
        blocks, cin = [], rev[0]
        for i, c in enumerate(rev):
            blocks.append(UpDecoderBlock2D(cin, c, groups, i < len(rev) - 1))
            cin = c
        self.up_blocks = nn.ModuleList(blocks)
        self.conv_norm_out = nn.GroupNorm(groups, rev[-1], eps=1e-6)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(rev[-1], 1, 3, padding=1)

    def forward(self, z):
        x = self.mid_block(self.conv_in(z))
        for b in self.up_blocks:
            x = b(x)
        return self.conv_out(self.conv_act(self.conv_norm_out(x)))


class AutoencoderKL(nn.Module):
    def __init__(self, block_out_channels=(32, 64, 64), latent_channels=4, norm_num_groups=16):
        super().__init__()
        self.config = dict(block_out_channels=list(block_out_channels), latent_channels=latent_channels,
                           norm_num_groups=norm_num_groups, in_channels=1, out_channels=1, sample_size=32,
                           layers_per_block=1)
        self.encoder = Encoder(block_out_channels, latent_channels, norm_num_groups)
        self.quant_conv = nn.Conv2d(2 * latent_channels, 2 * latent_channels, 1)
        self.post_quant_conv = nn.Conv2d(latent_channels, latent_channels, 1)
        self.decoder = Decoder(block_out_channels, latent_channels, norm_num_groups)

    def encode(self, x):
        mean, logvar = self.quant_conv(self.encoder(x)).chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)

    def decode(self, z):
        return self.decoder(self.post_quant_conv(z))


class VaeEncoderExport(nn.Module):
    """sample [N,1,32,32] -> latent_sample: the mean of the posterior (deterministic; not scaled)."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, sample):
        return self.vae.encode(sample)[0]


class VaeDecoderExport(nn.Module):
    """latent_sample [N,4,8,8] (unscaled, i.e. latents / scaling_factor) -> sample [N,1,32,32]."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent_sample):
        return self.vae.decode(latent_sample)


# ------------------------------------------------------------------------------------ text
class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class CLIPAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, mask):
        b, n, d = x.shape
        h = self.heads
        q = self.q_proj(x).reshape(b, n, h, d // h).transpose(1, 2) * (d // h) ** -0.5
        k = self.k_proj(x).reshape(b, n, h, d // h).transpose(1, 2)
        v = self.v_proj(x).reshape(b, n, h, d // h).transpose(1, 2)
        a = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) + mask, dim=-1)
        return self.out_proj(torch.matmul(a, v).transpose(1, 2).reshape(b, n, d))


class CLIPMLP(nn.Module):
    def __init__(self, d, inner):
        super().__init__()
        self.fc1 = nn.Linear(d, inner)
        self.activation_fn = QuickGELU()
        self.fc2 = nn.Linear(inner, d)

    def forward(self, x):
        return self.fc2(self.activation_fn(self.fc1(x)))


class CLIPEncoderLayer(nn.Module):
    def __init__(self, d, heads, inner):
        super().__init__()
        self.self_attn = CLIPAttention(d, heads)
        self.layer_norm1 = nn.LayerNorm(d)
        self.mlp = CLIPMLP(d, inner)
        self.layer_norm2 = nn.LayerNorm(d)

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class CLIPTextEmbeddings(nn.Module):
    def __init__(self, vocab, d, max_pos):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, d)
        self.position_embedding = nn.Embedding(max_pos, d)


class CLIPEncoder(nn.Module):
    def __init__(self, d, heads, inner, layers):
        super().__init__()
        self.layers = nn.ModuleList([CLIPEncoderLayer(d, heads, inner) for _ in range(layers)])


class CLIPTextTransformer(nn.Module):
    def __init__(self, vocab, d, heads, inner, layers, max_pos):
        super().__init__()
        self.embeddings = CLIPTextEmbeddings(vocab, d, max_pos)
        self.encoder = CLIPEncoder(d, heads, inner, layers)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, input_ids, attention_mask=None):
        n = input_ids.shape[1]
        pos = torch.arange(n, device=input_ids.device)
        x = self.embeddings.token_embedding(input_ids.long()) + self.embeddings.position_embedding(pos)[None]
        mask = torch.full((n, n), -1e9, dtype=x.dtype).triu(1)[None, None]
        if attention_mask is not None:
            mask = mask + (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -1e9
        for layer in self.encoder.layers:
            x = layer(x, mask)
        x = self.final_layer_norm(x)
        # pooled: the first <|endoftext|> (the largest id), as transformers' CLIPTextTransformer
        pooled = x[torch.arange(x.shape[0]), input_ids.long().argmax(dim=-1)]
        return x, pooled


class CLIPTextModel(nn.Module):
    def __init__(self, vocab_size, hidden_size=64, num_attention_heads=4, intermediate_size=256,
                 num_hidden_layers=3, max_position_embeddings=77):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, hidden_size=hidden_size, num_attention_heads=num_attention_heads,
                           intermediate_size=intermediate_size, num_hidden_layers=num_hidden_layers,
                           max_position_embeddings=max_position_embeddings, hidden_act="quick_gelu",
                           bos_token_id=vocab_size - 2, eos_token_id=vocab_size - 1, pad_token_id=vocab_size - 1)
        self.text_model = CLIPTextTransformer(vocab_size, hidden_size, num_attention_heads, intermediate_size,
                                              num_hidden_layers, max_position_embeddings)

    def forward(self, input_ids, attention_mask=None):
        return self.text_model(input_ids, attention_mask)


class CLIPVisionCNN(nn.Module):
    """Small image tower on the model's image space: [N,1,32,32] in [-1,1]."""

    def __init__(self, width=32, out=128):
        super().__init__()
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.GroupNorm(8, w), nn.SiLU(),
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1), nn.GroupNorm(8, 2 * w), nn.SiLU(),   # 16
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.GroupNorm(8, 2 * w), nn.SiLU(),
            nn.Conv2d(2 * w, 4 * w, 3, stride=2, padding=1), nn.GroupNorm(8, 4 * w), nn.SiLU(),  # 8
            nn.Conv2d(4 * w, 4 * w, 3, stride=2, padding=1), nn.GroupNorm(8, 4 * w), nn.SiLU(),  # 4
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * w, out),
        )
        self.post_layernorm = nn.LayerNorm(out)

    def forward(self, x):
        return self.post_layernorm(self.body(x))


class CLIPModel(nn.Module):
    def __init__(self, vocab_size, hidden_size=64, layers=3, heads=4, inner=256, proj=64, vision_width=32):
        super().__init__()
        self.text = CLIPTextModel(vocab_size, hidden_size, heads, inner, layers)
        self.vision_model = CLIPVisionCNN(vision_width, 4 * vision_width)
        self.text_projection = nn.Linear(hidden_size, proj, bias=False)
        self.visual_projection = nn.Linear(4 * vision_width, proj, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.config = dict(text=self.text.config, projection_dim=proj, vision_width=vision_width,
                           image_input="[N,1,32,32] in [-1,1] (28x28 padded by 2 with -1)")

    def text_embeds(self, input_ids, attention_mask=None):
        _, pooled = self.text(input_ids, attention_mask)
        return self.text_projection(pooled)

    def image_embeds(self, pixel_values):
        return self.visual_projection(self.vision_model(pixel_values))


class TextEncoderExport(nn.Module):
    """input_ids int32 [N,77] -> last_hidden_state [N,77,d], pooler_output [N,d] (optimum's outputs)."""

    def __init__(self, text):
        super().__init__()
        self.text = text

    def forward(self, input_ids):
        return self.text(input_ids)


class ClipTextExport(nn.Module):
    """input_ids int64 [N,77], attention_mask int64 [N,77] -> text_embeds [N,p], last_hidden_state."""

    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, input_ids, attention_mask):
        h, pooled = self.clip.text(input_ids, attention_mask)
        return self.clip.text_projection(pooled), h


class ClipImageExport(nn.Module):
    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, pixel_values):
        return self.clip.image_embeds(pixel_values)


# ------------------------------------------------------------------------------------ UNet
class GEGLU(nn.Module):
    def __init__(self, din, dout):
        super().__init__()
        self.proj = nn.Linear(din, dout * 2)

    def forward(self, x):
        h, gate = self.proj(x).chunk(2, dim=-1)
        return h * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4):
        super().__init__()
        self.net = nn.ModuleList([GEGLU(dim, dim * mult), nn.Dropout(0.0), nn.Linear(dim * mult, dim)])

    def forward(self, x):
        for m in self.net:
            x = m(x)
        return x


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, context_dim, heads, ff_mult):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, None, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, context_dim, heads)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, ff_mult)

    def forward(self, x, context):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        return self.ff(self.norm3(x)) + x


class Transformer2DModel(nn.Module):
    def __init__(self, ch, context_dim, heads, groups, ff_mult):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch, eps=1e-6)
        self.proj_in = nn.Conv2d(ch, ch, 1)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(ch, context_dim, heads, ff_mult)])
        self.proj_out = nn.Conv2d(ch, ch, 1)

    def forward(self, x, context):
        b, c, h, w = x.shape
        y = self.proj_in(self.norm(x)).reshape(b, c, h * w).transpose(1, 2)
        for blk in self.transformer_blocks:
            y = blk(y, context)
        return self.proj_out(y.transpose(1, 2).reshape(b, c, h, w)) + x


class DownBlock(nn.Module):
    """CrossAttnDownBlock2D (cross=True) or DownBlock2D."""

    def __init__(self, cin, cout, temb, layers, down, cross, context_dim, heads, groups, ff_mult):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if i == 0 else cout, cout, temb, groups) for i in range(layers)])
        self.attentions = nn.ModuleList([Transformer2DModel(cout, context_dim, heads(cout), groups, ff_mult)
                                         for _ in range(layers)]) if cross else None
        self.downsamplers = nn.ModuleList([Downsample2D(cout)]) if down else None

    def forward(self, x, temb, ctx):
        res = []
        for i, r in enumerate(self.resnets):
            x = r(x, temb)
            if self.attentions is not None:
                x = self.attentions[i](x, ctx)
            res.append(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
            res.append(x)
        return x, res


class UpBlock(nn.Module):
    """CrossAttnUpBlock2D (cross=True) or UpBlock2D."""

    def __init__(self, prev, cin, cout, temb, layers, up, cross, context_dim, heads, groups, ff_mult):
        super().__init__()
        rs = []
        for j in range(layers + 1):
            skip = cin if j == layers else cout
            rin = prev if j == 0 else cout
            rs.append(ResnetBlock2D(rin + skip, cout, temb, groups))
        self.resnets = nn.ModuleList(rs)
        self.attentions = nn.ModuleList([Transformer2DModel(cout, context_dim, heads(cout), groups, ff_mult)
                                         for _ in range(layers + 1)]) if cross else None
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if up else None

    def forward(self, x, res, temb, ctx):
        res = list(res)
        for i, r in enumerate(self.resnets):
            x = r(torch.cat([x, res.pop()], dim=1), temb)
            if self.attentions is not None:
                x = self.attentions[i](x, ctx)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class UNetMidBlock2DCrossAttn(nn.Module):
    def __init__(self, ch, temb, context_dim, heads, groups, ff_mult):
        super().__init__()
        self.attentions = nn.ModuleList([Transformer2DModel(ch, context_dim, heads, groups, ff_mult)])
        self.resnets = nn.ModuleList([ResnetBlock2D(ch, ch, temb, groups), ResnetBlock2D(ch, ch, temb, groups)])

    def forward(self, x, temb, ctx):
        x = self.resnets[0](x, temb)
        x = self.attentions[0](x, ctx)
        return self.resnets[1](x, temb)


class TimestepEmbedding(nn.Module):
    def __init__(self, cin, dim):
        super().__init__()
        self.linear_1 = nn.Linear(cin, dim)
        self.act = nn.SiLU()
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x):
        return self.linear_2(self.act(self.linear_1(x)))


class Timesteps(nn.Module):
    """diffusers Timesteps(flip_sin_to_cos=True, downscale_freq_shift=0) as SD's UNet."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, t):
        half = self.dim // 2
        exponent = -math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half
        args = t.float()[:, None] * torch.exp(exponent)[None, :]
        return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class UNet2DConditionModel(nn.Module):
    """down: CrossAttnDownBlock2D (8->4), CrossAttnDownBlock2D (4->2), DownBlock2D (2);
    mid: UNetMidBlock2DCrossAttn (2x2); up: UpBlock2D (2->4), CrossAttnUpBlock2D (4->8),
    CrossAttnUpBlock2D (8). Cache branches (DeepCache, counted from the output side):
      0: /up_blocks.1/upsamplers.0/conv/Conv_output_0 (partial runs only level 8)
      1: /up_blocks.0/upsamplers.0/conv/Conv_output_0 (levels 8 and 4)
      2: the mid block's output (skips only the mid block)

    Trained to predict v (prediction="v"); forward() converts to epsilon inside the graph
    (eps = sqrt(abar_t) v + sqrt(1 - abar_t) x_t), so the export is an epsilon model (SD-1.5).
    """

    def __init__(self, block_out_channels=(64, 128, 128), cross_attention_dim=64, layers_per_block=1,
                 attention_head_dim=32, norm_num_groups=32, ff_mult=2, in_channels=4, prediction="v"):
        super().__init__()
        c = list(block_out_channels)
        temb = 4 * c[0]
        heads = lambda ch: max(1, ch // attention_head_dim)  # noqa: E731
        self.prediction = prediction
        self.config = dict(
            _class_name="UNet2DConditionModel", sample_size=8, in_channels=in_channels, out_channels=in_channels,
            block_out_channels=c, layers_per_block=layers_per_block, cross_attention_dim=cross_attention_dim,
            attention_head_dim=attention_head_dim, norm_num_groups=norm_num_groups, flip_sin_to_cos=True, freq_shift=0,
            down_block_types=["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
            up_block_types=["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
            mid_block_type="UNetMidBlock2DCrossAttn", act_fn="silu", center_input_sample=False,
            downsample_padding=1, mid_block_scale_factor=1, norm_eps=1e-5, use_linear_projection=False,
            ff_mult=ff_mult, training_prediction="v_prediction (converted to epsilon in the exported graph)")
        self.conv_in = nn.Conv2d(in_channels, c[0], 3, padding=1)
        self.time_proj = Timesteps(c[0])
        self.time_embedding = TimestepEmbedding(c[0], temb)
        cross = [True, True, False]
        downs, cin = [], c[0]
        for i, ch in enumerate(c):
            downs.append(DownBlock(cin, ch, temb, layers_per_block, i < len(c) - 1, cross[i], cross_attention_dim,
                                   heads, norm_num_groups, ff_mult))
            cin = ch
        self.down_blocks = nn.ModuleList(downs)
        self.mid_block = UNetMidBlock2DCrossAttn(c[-1], temb, cross_attention_dim, heads(c[-1]), norm_num_groups, ff_mult)
        rev = list(reversed(c))
        ups, prev = [], rev[0]
        for i, ch in enumerate(rev):
            cin_ = rev[min(i + 1, len(c) - 1)]
            ups.append(UpBlock(prev, cin_, ch, temb, layers_per_block, i < len(c) - 1, list(reversed(cross))[i],
                               cross_attention_dim, heads, norm_num_groups, ff_mult))
            prev = ch
        self.up_blocks = nn.ModuleList(ups)
        self.conv_norm_out = nn.GroupNorm(norm_num_groups, c[0], eps=1e-5)
        self.conv_act = nn.SiLU()
        self.conv_out = nn.Conv2d(c[0], in_channels, 3, padding=1)
        ac = sd_alphas_cumprod()
        self.register_buffer("sqrt_alphas_cumprod", ac.sqrt().float(), persistent=False)
        self.register_buffer("sqrt_one_minus_alphas_cumprod", (1 - ac).sqrt().float(), persistent=False)

    def raw(self, sample, timestep, encoder_hidden_states):
        emb = self.time_embedding(self.time_proj(timestep))
        x = self.conv_in(sample)
        res = [x]
        for d in self.down_blocks:
            x, r = d(x, emb, encoder_hidden_states)
            res.extend(r)
        x = self.mid_block(x, emb, encoder_hidden_states)
        for u in self.up_blocks:
            n = len(u.resnets)
            r, res = res[-n:], res[:-n]
            x = u(x, r, emb, encoder_hidden_states)
        return self.conv_out(self.conv_act(self.conv_norm_out(x)))

    def forward(self, sample, timestep, encoder_hidden_states):
        out = self.raw(sample, timestep, encoder_hidden_states)
        if self.prediction == "epsilon":
            return out
        t = timestep.long()
        a = self.sqrt_alphas_cumprod[t][:, None, None, None]
        s = self.sqrt_one_minus_alphas_cumprod[t][:, None, None, None]
        return a * out + s * sample


def count_params(m):
    return sum(p.numel() for p in m.parameters())
