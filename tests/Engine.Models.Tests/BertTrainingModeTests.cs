using Engine.Models.Bert;
using Xunit;
using static Engine.Models.Tests.BiomedClipTestData;

namespace Engine.Models.Tests;

/// <summary>Training-mode BERT: dropout active (hidden 0.1, attention 0.1) and reproducible through the reseedable stream.</summary>
public sealed class BertTrainingModeTests
{
    [Fact]
    public void Dropout_is_active_in_training_and_reproducible_after_reseeding()
    {
        var model = BertFolder.Load(BertTiny);
        var inputs = Read(BertTiny, "inputs.safetensors");
        using var _ = Tensor.NoGrad();
        var eval = model.Forward(inputs["input_ids"], inputs["attention_mask"]).LastHiddenState.ToArray();
        model.Train();
        model.DropoutRandom.Reseed(42);
        var a = model.Forward(inputs["input_ids"], inputs["attention_mask"]).LastHiddenState.ToArray();
        model.DropoutRandom.Reseed(42);
        var b = model.Forward(inputs["input_ids"], inputs["attention_mask"]).LastHiddenState.ToArray();
        var c = model.Forward(inputs["input_ids"], inputs["attention_mask"]).LastHiddenState.ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.True(a.Zip(eval).Max(x => Math.Abs(x.First - x.Second)) > 1e-2, "training mode should differ from eval mode");
        model.Eval();
        Assert.Equal(eval, model.Forward(inputs["input_ids"], inputs["attention_mask"]).LastHiddenState.ToArray());
    }
}
