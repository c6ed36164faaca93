using Engine.Models.Clip;

namespace Engine.Perf.OnnxPeer;

/// <summary>
/// Writes a <see cref="ClipVisionModelWithProjection"/> (CLIP vision tower + visual projection) as an ONNX model
/// (opset 17) whose initializers are our module's parameter tensors, read through <c>NamedParameters()</c>. The graph
/// is what a PyTorch export of transformers' CLIPVisionModelWithProjection looks like: Conv patch embedding,
/// LayerNormalization, MatMul + Add for every Linear (weights stored transposed, [in, out]), q * head_dim^-0.5,
/// MatMul/Softmax/MatMul attention, quick_gelu as x * Sigmoid(1.702 x), residual Adds. Input "pixel_values"
/// [batch, 3, S, S] (batch symbolic); outputs "last_hidden_state" [batch, T, C] and "image_embeds" [batch, P].
/// Every parameter must be used exactly once, so a module that grows a parameter this graph ignores fails loudly.
/// </summary>
internal static class VitOnnxExport
{
    public const long Opset = 17;          // LayerNormalization exists from 17 on
    public const long IrVersion = 8;       // the IR version that goes with opset 17
    public const string Input = "pixel_values", LastHidden = "last_hidden_state", ImageEmbeds = "image_embeds";

    public static byte[] Build(ClipVisionModelWithProjection model, out int nodeCount)
    {
        var c = model.Config;
        int hidden = c.HiddenSize, heads = c.NumAttentionHeads, headDim = hidden / heads;
        int grid = c.GridSize, tokens = grid * grid + 1;
        if (c.HiddenAct != "quick_gelu") throw new NotSupportedException($"ONNX export writes quick_gelu only (config has '{c.HiddenAct}').");

        var parameters = model.NamedParameters().ToDictionary(x => x.name, x => x.parameter.Value, StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var g = new OnnxGraph();

        Tensor Param(string key)
        {
            if (!parameters.TryGetValue(key, out var t)) throw new KeyNotFoundException($"ONNX export: the model has no parameter '{key}'.");
            if (!used.Add(key)) throw new InvalidOperationException($"ONNX export: parameter '{key}' used twice.");
            return t;
        }
        string Weight(string key)
        {
            var t = Param(key);
            return g.Initializer(key, t.ToArray(), t.Shape.Select(d => (long)d).ToArray());
        }
        // nn.Linear weight [out, in] -> MatMul's B [in, out].
        string WeightTransposed(string key)
        {
            var t = Param(key);
            if (t.Rank != 2) throw new InvalidDataException($"ONNX export: '{key}' is {Shape.Format(t.Shape)}, not a Linear weight.");
            return g.Initializer(key + ".T", t.Transpose(0, 1).ToArray(), t.Shape[1], t.Shape[0]);
        }
        string Ints(string name, params long[] values) => g.Int64Initializer(name, values, values.Length);
        string Linear(string x, string prefix, bool bias = true, string? output = null)
        {
            if (!bias) return g.Node("MatMul", new[] { x, WeightTransposed(prefix + ".weight") }, output);
            var y = g.Node("MatMul", new[] { x, WeightTransposed(prefix + ".weight") });
            return g.Node("Add", new[] { y, Weight(prefix + ".bias") }, output);
        }
        string LayerNorm(string x, string prefix, string? output = null) =>
            g.Node("LayerNormalization", new[] { x, Weight(prefix + ".weight"), Weight(prefix + ".bias") }, output,
                OnnxAttribute.Of("axis", -1L), OnnxAttribute.Of("epsilon", c.LayerNormEps));

        g.Input(Input, "batch", (long)c.NumChannels, (long)c.ImageSize, (long)c.ImageSize);

        // ---- embeddings: conv patches -> [B, gh*gw, C]; class token in row 0; + position table
        const string emb = "vision_model.embeddings";
        var patches = g.Node("Conv", new[] { Input, Weight(emb + ".patch_embedding.weight") }, null,
            OnnxAttribute.Of("kernel_shape", c.PatchSize, (long)c.PatchSize), OnnxAttribute.Of("strides", c.PatchSize, (long)c.PatchSize));
        var flat = g.Node("Reshape", new[] { patches, Ints("shape_b_c_n", 0, hidden, -1) });
        var rows = g.Node("Transpose", new[] { flat }, null, OnnxAttribute.Of("perm", 0, 2L, 1));
        // Cat([cls, patches], 1) as a zero row padded in front of the patches plus a [T, C] table that holds the class
        // embedding in row 0 (x + 0 is exact, so this is bit-identical to the concatenation; no batch-size shape ops).
        var padded = g.Node("Pad", new[] { rows, Ints("pads_cls_row", 0, 1, 0, 0, 0, 0) });
        var cls = g.Node("Reshape", new[] { Weight(emb + ".class_embedding"), Ints("shape_1_c", 1, hidden) });
        var clsTable = g.Node("Pad", new[] { cls, Ints("pads_cls_table", 0, 0, tokens - 1, 0) });
        var withCls = g.Node("Add", new[] { padded, clsTable });
        var x = g.Node("Add", new[] { withCls, Weight(emb + ".position_embedding.weight") });
        x = LayerNorm(x, "vision_model.pre_layrnorm");

        // ---- encoder layers (pre-LN)
        var scale = g.Initializer("attention_scale", new[] { MathF.Pow(headDim, -0.5f) });
        var quickGeluAlpha = g.Initializer("quick_gelu_alpha", new[] { 1.702f });
        var splitHeads = Ints("shape_b_t_h_d", 0, 0, heads, headDim);
        var mergeHeads = Ints("shape_b_t_c", 0, 0, hidden);
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            string l = $"vision_model.encoder.layers.{i}";
            bool last = i == c.NumHiddenLayers - 1;
            var h1 = LayerNorm(x, l + ".layer_norm1");
            var q = g.Node("Mul", new[] { Linear(h1, l + ".self_attn.q_proj"), scale });
            var k = Linear(h1, l + ".self_attn.k_proj");
            var v = Linear(h1, l + ".self_attn.v_proj");
            var qh = g.Node("Transpose", new[] { g.Node("Reshape", new[] { q, splitHeads }) }, null, OnnxAttribute.Of("perm", 0, 2L, 1, 3));  // [B,H,T,D]
            var kt = g.Node("Transpose", new[] { g.Node("Reshape", new[] { k, splitHeads }) }, null, OnnxAttribute.Of("perm", 0, 2L, 3, 1));  // [B,H,D,T]
            var vh = g.Node("Transpose", new[] { g.Node("Reshape", new[] { v, splitHeads }) }, null, OnnxAttribute.Of("perm", 0, 2L, 1, 3));  // [B,H,T,D]
            var probs = g.Node("Softmax", new[] { g.Node("MatMul", new[] { qh, kt }) }, null, OnnxAttribute.Of("axis", -1L));
            var ctx = g.Node("Transpose", new[] { g.Node("MatMul", new[] { probs, vh }) }, null, OnnxAttribute.Of("perm", 0, 2L, 1, 3));   // [B,T,H,D]
            var attn = Linear(g.Node("Reshape", new[] { ctx, mergeHeads }), l + ".self_attn.out_proj");
            var h = g.Node("Add", new[] { x, attn });

            var h2 = LayerNorm(h, l + ".layer_norm2");
            var fc1 = Linear(h2, l + ".mlp.fc1");
            var act = g.Node("Mul", new[] { fc1, g.Node("Sigmoid", new[] { g.Node("Mul", new[] { fc1, quickGeluAlpha }) }) });
            var mlp = Linear(act, l + ".mlp.fc2");
            x = g.Node("Add", new[] { h, mlp }, last ? LastHidden : null);
        }
        if (c.NumHiddenLayers == 0) x = g.Node("Identity", new[] { x }, LastHidden);

        // ---- pooled class token -> post LN -> projection
        var clsToken = g.Node("Gather", new[] { x, g.Int64Initializer("index_0", new[] { 0L }) }, null, OnnxAttribute.Of("axis", 1L)); // scalar index: [B, C]
        var pooled = LayerNorm(clsToken, "vision_model.post_layernorm");
        Linear(pooled, "visual_projection", bias: false, output: ImageEmbeds);

        g.Output(LastHidden, "batch", (long)tokens, (long)hidden);
        g.Output(ImageEmbeds, "batch", (long)c.ProjectionDim);

        var unused = parameters.Keys.Where(k => !used.Contains(k)).ToList();
        if (unused.Count > 0) throw new InvalidOperationException($"ONNX export: the graph does not use parameter(s) {string.Join(", ", unused)}.");
        nodeCount = g.NodeCount;
        return g.ToModelBytes(IrVersion, Opset, "Engine.Perf.OnnxPeer", "clip_vision_model_with_projection");
    }
}
