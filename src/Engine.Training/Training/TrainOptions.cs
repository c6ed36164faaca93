using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Training.Data;
using Engine.Training.Models;

namespace Engine.Training.Training;

/// <summary>Learning-rate schedule of a run.</summary>
public enum LrScheduleKind
{
    /// <summary>ReduceLROnPlateau on the validation loss (training loss without validation), checked after each epoch.</summary>
    Plateau,
    /// <summary>Linear warmup then half a cosine to the minimum learning rate, per optimizer step.</summary>
    Cosine,
    Constant,
}

/// <summary>Options of <c>engine train</c>. Saved to RUN_DIR/run.json; <c>--resume</c> reads them back.</summary>
public sealed record TrainOptions
{
    public required string ModelDir { get; init; }
    public required string DataRoot { get; init; }
    /// <summary>Prompt keys to train with (several: each record draws one per epoch); validation uses the first.</summary>
    public required IReadOnlyList<string> PromptKeys { get; init; }
    public required string RunDir { get; init; }
    public string TrainSplit { get; init; } = "train";
    /// <summary>Validation split; when the dataset has none, training runs without validation (best = lowest training loss).</summary>
    public string ValSplit { get; init; } = "val";
    public TrainableParts Parts { get; init; } = TrainableParts.DecoderOnly;
    public int Epochs { get; init; } = 20;
    public int BatchSize { get; init; } = 8;
    /// <summary>Micro-batches per optimizer step (effective batch = BatchSize x GradAccumulation).</summary>
    public int GradAccumulation { get; init; } = 1;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 1e-2;
    /// <summary>Global L2 gradient-norm clip; 0 = off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    public LrScheduleKind Schedule { get; init; } = LrScheduleKind.Plateau;
    /// <summary>Cosine: share of all optimizer steps spent warming up.</summary>
    public double WarmupFraction { get; init; } = 0.05;
    /// <summary>Cosine: final learning rate; plateau: floor.</summary>
    public double MinLearningRate { get; init; }
    public double PlateauFactor { get; init; } = 0.5;
    public int PlateauPatience { get; init; } = 2;
    /// <summary>Stop after this many epochs without a better validation Dice; 0 = never.</summary>
    public int EarlyStoppingPatience { get; init; }
    public double DiceWeight { get; init; } = 1;
    public double BceWeight { get; init; } = 1;
    public AugmentationOptions Augmentation { get; init; } = AugmentationOptions.None;
    public int Seed { get; init; } = 42;
    /// <summary>Validation threshold; null = the model family's default.</summary>
    public float? Threshold { get; init; }
    public string Device { get; init; } = "cpu";
    /// <summary>Memory budget for decoded, resized samples.</summary>
    public long CacheBytes { get; init; } = 2L << 30;
    public int EvalBatchSize { get; init; } = 8;

    // Session-only settings (not saved in run.json).
    /// <summary>Stop (resumably) after this many epochs in this session.</summary>
    public int? StopAfterEpochs { get; init; }
    /// <summary>Memory for a frozen vision tower's activations, reused from epoch to epoch (the images that fit are
    /// encoded once per run instead of once per epoch), capped at a quarter of the available memory; 0 = off.
    /// Results are the same either way.</summary>
    public long ActivationCacheBytes { get; init; } = 2L << 30;

    public void Validate()
    {
        if (PromptKeys.Count == 0) throw new ArgumentException("--prompt: give at least one prompt key (e.g. p4).");
        if (Epochs < 1) throw new ArgumentException($"--epochs must be at least 1 (got {Epochs}).");
        if (BatchSize < 1) throw new ArgumentException($"--batch-size must be at least 1 (got {BatchSize}).");
        if (GradAccumulation < 1) throw new ArgumentException($"--accum must be at least 1 (got {GradAccumulation}).");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentException($"--lr must be positive (got {LearningRate}).");
        if (WeightDecay < 0) throw new ArgumentException($"--weight-decay must be non-negative (got {WeightDecay}).");
        if (MaxGradNorm < 0) throw new ArgumentException($"--clip-grad must be non-negative (got {MaxGradNorm}).");
        if (WarmupFraction is < 0 or > 1) throw new ArgumentException($"--warmup must lie in [0, 1] (got {WarmupFraction}).");
        if (MinLearningRate < 0 || MinLearningRate > LearningRate) throw new ArgumentException($"--min-lr must lie in [0, lr] (got {MinLearningRate}).");
        if (PlateauFactor is <= 0 or >= 1) throw new ArgumentException($"--plateau-factor must lie in (0, 1) (got {PlateauFactor}).");
        if (PlateauPatience < 0) throw new ArgumentException($"--plateau-patience must be non-negative (got {PlateauPatience}).");
        if (EarlyStoppingPatience < 0) throw new ArgumentException($"--patience must be non-negative (got {EarlyStoppingPatience}).");
        if (!Parts.Any) throw new ArgumentException("--train selects no part to train.");
        if (Threshold is { } t && (t < 0 || t >= 1)) throw new ArgumentException($"--threshold must lie in [0, 1) (got {t}).");
        if (StopAfterEpochs is < 1) throw new ArgumentException($"--stop-after must be at least 1 (got {StopAfterEpochs}).");
        if (ActivationCacheBytes < 0) throw new ArgumentException($"--activation-cache-mb must be non-negative (got {ActivationCacheBytes >> 20}).");
        new SegmentationLoss(DiceWeight, BceWeight).Validate();
        Engine.Device.Parse(Device);
    }

    public JsonObject ToJson() => new()
    {
        ["format_version"] = 1,
        ["model"] = ModelDir, ["data"] = DataRoot, ["prompt"] = new JsonArray(PromptKeys.Select(k => (JsonNode)k).ToArray()),
        ["train_split"] = TrainSplit, ["val_split"] = ValSplit, ["train"] = Parts.ToString(),
        ["epochs"] = Epochs, ["batch_size"] = BatchSize, ["grad_accumulation"] = GradAccumulation,
        ["lr"] = LearningRate, ["weight_decay"] = WeightDecay, ["max_grad_norm"] = MaxGradNorm,
        ["lr_schedule"] = Schedule.ToString().ToLowerInvariant(), ["warmup_fraction"] = WarmupFraction, ["min_lr"] = MinLearningRate,
        ["plateau_factor"] = PlateauFactor, ["plateau_patience"] = PlateauPatience, ["early_stopping_patience"] = EarlyStoppingPatience,
        ["dice_weight"] = DiceWeight, ["bce_weight"] = BceWeight, ["augment"] = Augmentation.ToString(), ["seed"] = Seed,
        ["threshold"] = Threshold is { } t ? JsonValue.Create(t) : null, ["device"] = Device, ["cache_bytes"] = CacheBytes,
        ["eval_batch_size"] = EvalBatchSize,
    };

    public static TrainOptions FromJson(JsonObject j, string source)
    {
        T Get<T>(string key)
        {
            var node = j[key] ?? throw new InvalidDataException($"'{source}' lacks \"{key}\".");
            try { return node.GetValue<T>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            { throw new InvalidDataException($"'{source}': \"{key}\" has the wrong type ({e.Message}).", e); }
        }
        return new TrainOptions
        {
            ModelDir = Get<string>("model"), DataRoot = Get<string>("data"),
            PromptKeys = (j["prompt"] as JsonArray ?? throw new InvalidDataException($"'{source}' lacks \"prompt\".")).Select(n => n!.GetValue<string>()).ToList(),
            RunDir = Path.GetDirectoryName(Path.GetFullPath(source))!,
            TrainSplit = Get<string>("train_split"), ValSplit = Get<string>("val_split"), Parts = TrainableParts.Parse(Get<string>("train")),
            Epochs = Get<int>("epochs"), BatchSize = Get<int>("batch_size"), GradAccumulation = Get<int>("grad_accumulation"),
            LearningRate = Get<double>("lr"), WeightDecay = Get<double>("weight_decay"), MaxGradNorm = Get<double>("max_grad_norm"),
            Schedule = ParseSchedule(Get<string>("lr_schedule")), WarmupFraction = Get<double>("warmup_fraction"), MinLearningRate = Get<double>("min_lr"),
            PlateauFactor = Get<double>("plateau_factor"), PlateauPatience = Get<int>("plateau_patience"), EarlyStoppingPatience = Get<int>("early_stopping_patience"),
            DiceWeight = Get<double>("dice_weight"), BceWeight = Get<double>("bce_weight"), Augmentation = AugmentationOptions.Parse(Get<string>("augment")),
            Seed = Get<int>("seed"), Threshold = j["threshold"] is null ? null : Get<float>("threshold"), Device = Get<string>("device"),
            CacheBytes = Get<long>("cache_bytes"), EvalBatchSize = Get<int>("eval_batch_size"),
        };
    }

    public static LrScheduleKind ParseSchedule(string text) => text.Trim().ToLowerInvariant() switch
    {
        "plateau" => LrScheduleKind.Plateau,
        "cosine" => LrScheduleKind.Cosine,
        "constant" => LrScheduleKind.Constant,
        _ => throw new ArgumentException($"--lr-schedule '{text}': use plateau, cosine or constant."),
    };

    public void Save(string path)
        => Checkpoints.RunFolder.WriteFileAtomic(path, tmp => File.WriteAllText(tmp, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));

    public static TrainOptions Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist: is '{Path.GetDirectoryName(path)}' a run folder made by engine train?", path);
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e); }
        return FromJson(node as JsonObject ?? throw new InvalidDataException($"'{path}' must hold a JSON object."), path);
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"train {Parts}, prompt {string.Join(",", PromptKeys)}, {Epochs} epochs, batch {BatchSize}x{GradAccumulation}, lr {LearningRate:G3} ({Schedule.ToString().ToLowerInvariant()}), wd {WeightDecay:G3}, clip {MaxGradNorm:G3}, loss {DiceWeight:G3}*dice+{BceWeight:G3}*bce, augment {Augmentation}, seed {Seed}");
}
