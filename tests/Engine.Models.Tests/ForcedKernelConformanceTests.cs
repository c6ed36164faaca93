using System.Diagnostics;
using Engine.Weights;
using Xunit;
using Xunit.Abstractions;
using static Engine.Models.Tests.ClipGolden;

namespace Engine.Models.Tests;

/// <summary>
/// The golden cases through each CPU micro-kernel family, whatever this machine has: `engine forward` in a child
/// process with ENGINE_CPU_KERNEL forced. The choice is process-wide and packed weights are tied to it, so it cannot
/// change inside this test process, where every other test runs on the machine's own kernels. Without AVX-512 the
/// avx512 runs use .NET's software Vector512 (slower, same arithmetic), so the AVX-512 blocking, packing, convolution and
/// attention paths of whole models are checked here too; on an AVX-512 machine the avx2 runs are the other family.
/// Tolerances are the golden READMEs'.
/// </summary>
public sealed class ForcedKernelConformanceTests : IDisposable
{
    private readonly ITestOutputHelper _log;
    private readonly string _dir = Directory.CreateTempSubdirectory("forced-kernel-").FullName;

    public ForcedKernelConformanceTests(ITestOutputHelper log) { _log = log; }

    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    /// <summary>ENGINE_CPU_KERNEL value and the kernel name `engine forward` then reports.</summary>
    public static TheoryData<string, string> Kernels => new() { { "avx2", "avx2-6x16" }, { "avx512", "avx512-8x32" } };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ClipSeg_outputs_intermediates_and_full_graph_gradients(string kernel, string kernelName)
    {
        var golden = Golden("clipseg_tiny_refined");
        var (outputs, grads) = Forward(kernel, kernelName, golden, Path.Combine(golden, "inputs.safetensors"), "--intermediates");
        AssertAllActivations(Read(golden, "outputs.safetensors"), outputs, _log.WriteLine);
        AssertAllGradients(Read(golden, "grads_full_graph.safetensors"), grads!, _log.WriteLine);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Cris_outputs_intermediates_and_frozen_bn_gradients(string kernel, string kernelName)
    {
        var golden = Golden("cris_tiny");
        var (outputs, _) = Forward(kernel, kernelName, golden, Path.Combine(golden, "inputs.safetensors"), "--intermediates", grads: false);
        foreach (var file in new[] { "outputs.safetensors", "intermediates.safetensors" })
            foreach (var (name, reference) in Read(golden, file))
            {
                Assert.True(outputs.ContainsKey(name), $"{file}: '{name}' missing");
                if (reference.DType == DType.F32) AssertClose(name, outputs[name], reference, 1e-4, 1e-5);
                else Assert.Equal(reference.ToInt64Array(), outputs[name].ToInt64Array());
            }

        var inputs = Read(golden, "inputs.safetensors");
        inputs["target"] = Read(golden, "train.safetensors")["target"];
        var trainInputs = Path.Combine(_dir, "cris_train_inputs.safetensors");
        SafetensorsFile.Write(trainInputs, inputs);
        var (_, grads) = Forward(kernel, kernelName, golden, trainInputs, "--frozen-bn");
        var frozenBn = Read(golden, "grads_frozen_bn.safetensors");
        Assert.Equal(frozenBn.Keys.OrderBy(k => k, StringComparer.Ordinal), grads!.Keys.OrderBy(k => k, StringComparer.Ordinal));
        double atol = 1e-6 * frozenBn.Values.Max(MaxAbs);
        foreach (var (name, g) in frozenBn) AssertClose("grad " + name, grads[name], g, 1e-3, atol);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void BiomedClip_outputs_intermediates_and_gradients(string kernel, string kernelName)
    {
        var golden = Golden("biomedclip_tiny");
        var (outputs, grads) = Forward(kernel, kernelName, golden, Path.Combine(golden, "inputs.safetensors"), "--intermediates");
        foreach (var (name, reference) in Read(golden, "outputs.safetensors"))
            AssertClose(name, outputs[name], reference, 1e-4, name.StartsWith("logit", StringComparison.Ordinal) ? 1e-4 : 1e-5);
        foreach (var (name, reference) in Read(golden, "intermediates.safetensors"))
            AssertClose(name, outputs[name], reference, 1e-4, 1e-5);
        var gold = Read(golden, "grads.safetensors");
        Assert.Equal(gold.Keys.OrderBy(k => k, StringComparer.Ordinal), grads!.Keys.OrderBy(k => k, StringComparer.Ordinal));
        double atol = 1e-6 * gold.Values.Max(MaxAbs);
        foreach (var (name, g) in gold) AssertClose("grad " + name, grads[name], g, 1e-3, atol);
    }

    /// <summary>Runs `engine forward` on <paramref name="model"/> with the kernel forced, checks that it says it ran
    /// those kernels, and returns its outputs (and gradients unless <paramref name="grads"/> is false).</summary>
    private (Dictionary<string, Tensor> Outputs, Dictionary<string, Tensor>? Grads) Forward(string kernel, string kernelName, string model,
        string inputs, string flag, bool grads = true)
    {
        string outFile = Path.Combine(_dir, $"{kernel}-out.safetensors"), gradFile = Path.Combine(_dir, $"{kernel}-grads.safetensors");
        var args = new List<string> { "forward", "--model", model, "--inputs", inputs, "--out", outFile, flag };
        if (grads) args.AddRange(new[] { "--grads", gradFile });
        var (code, output) = RunEngine(kernel, args);
        _log.WriteLine(output);
        Assert.True(code == 0, $"engine forward (ENGINE_CPU_KERNEL={kernel}) exited with {code}:\n{output}");
        Assert.Contains($"(CPU kernels: {kernelName})", output);
        return (SafetensorsFile.ReadAll(outFile), grads ? SafetensorsFile.ReadAll(gradFile) : null);
    }

    private static (int Code, string Output) RunEngine(string kernel, IEnumerable<string> args)
    {
        // The engine CLI's assembly sits beside this test's (project reference); run it with the same .NET host.
        string engine = Path.Combine(AppContext.BaseDirectory, "engine.dll");
        Assert.True(File.Exists(engine), $"'{engine}' not found: the test project references Engine.Cli for it.");
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var psi = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(engine);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["ENGINE_CPU_KERNEL"] = kernel;
        psi.Environment["ENGINE_DEBUG"] = "1";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start '{host}'.");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"engine {string.Join(' ', args)} (ENGINE_CPU_KERNEL={kernel}) ran over 5 minutes.");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
