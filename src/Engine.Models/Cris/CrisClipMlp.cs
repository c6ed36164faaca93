using Engine.Nn;

namespace Engine.Models.Cris;

/// <summary>OpenAI CLIP's text MLP: Sequential(c_fc W→4W, QuickGELU x·sigmoid(1.702x), c_proj 4W→W).</summary>
public sealed class CrisClipMlp : Module
{
    public CrisClipMlp(int width, Random? rng = null)
    {
        CFc = Add("c_fc", new Linear(width, width * 4, rng: rng));
        CProj = Add("c_proj", new Linear(width * 4, width, rng: rng));
    }

    public Linear CFc { get; }
    public Linear CProj { get; }

    public Tensor Forward(Tensor x) => CProj.Forward(Ops.QuickGelu(CFc.Forward(x)));
}
