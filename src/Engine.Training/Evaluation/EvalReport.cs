using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Data.Metrics;
using Engine.Training.Checkpoints;

namespace Engine.Training.Evaluation;

/// <summary>The outcome of <c>engine test</c>: one <see cref="KeyEvaluation"/> per prompt key, and the files
/// per_image.csv, summary.json and (several keys) prompt_sensitivity.csv.</summary>
public sealed class EvalReport
{
    public required string ModelDir { get; init; }
    public required string Family { get; init; }
    public required string DataRoot { get; init; }
    public required string Split { get; init; }
    public required float Threshold { get; init; }
    public required bool ZeroShot { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }
    public required int Images { get; init; }
    public required IReadOnlyList<KeyEvaluation> Keys { get; init; }
    public required string OutDir { get; init; }

    public const string PerImageFile = "per_image.csv";
    public const string SummaryFile = "summary.json";
    public const string SensitivityFile = "prompt_sensitivity.csv";

    public void Write()
    {
        Directory.CreateDirectory(OutDir);
        RunFolder.WriteFileAtomic(Path.Combine(OutDir, PerImageFile), tmp => File.WriteAllText(tmp, PerImageCsv()));
        RunFolder.WriteFileAtomic(Path.Combine(OutDir, SummaryFile), tmp => File.WriteAllText(tmp, SummaryJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
        if (Keys.Count > 1) RunFolder.WriteFileAtomic(Path.Combine(OutDir, SensitivityFile), tmp => File.WriteAllText(tmp, SensitivityCsv()));
    }

    public string PerImageCsv()
    {
        var sb = new StringBuilder("prompt_key,image,mask,class,prompt,dice,iou,precision,recall,hd95,pred_pixels,target_pixels\n");
        foreach (var k in Keys)
            foreach (var r in k.Rows)
                sb.Append(string.Join(",", Csv(r.PromptKey), Csv(r.ImageName), Csv(r.MaskName), Csv(r.ClassName), Csv(r.Prompt),
                    F(r.Scores.Dice), F(r.Scores.IoU), F(r.Scores.Precision), F(r.Scores.Recall), F(r.Scores.Hd95),
                    r.PredictedPixels.ToString(CultureInfo.InvariantCulture), r.TargetPixels.ToString(CultureInfo.InvariantCulture))).Append('\n');
        return sb.ToString();
    }

    public string SensitivityCsv()
    {
        var sb = new StringBuilder("prompt_key,example_prompt,records,dice_mean,dice_std,iou_mean,iou_std,precision_mean,recall_mean,hd95_mean,skipped\n");
        foreach (var k in Keys)
        {
            if (k.Skipped) { sb.Append(string.Join(",", Csv(k.PromptKey), "", "0", "", "", "", "", "", "", "", Csv(k.SkippedReason!))).Append('\n'); continue; }
            var (m, s) = k.Summary();
            sb.Append(string.Join(",", Csv(k.PromptKey), Csv(k.Rows.Count > 0 ? k.Rows[0].Prompt : ""), k.Rows.Count.ToString(CultureInfo.InvariantCulture),
                F(m.Dice), F(s.Dice), F(m.IoU), F(s.IoU), F(m.Precision), F(m.Recall), F(m.Hd95), "")).Append('\n');
        }
        return sb.ToString();
    }

    public JsonObject SummaryJson()
    {
        var keys = new JsonObject();
        foreach (var k in Keys)
        {
            if (k.Skipped) { keys[k.PromptKey] = new JsonObject { ["skipped"] = k.SkippedReason }; continue; }
            var (m, s) = k.Summary();
            var o = Metrics(m, s);
            o["records"] = k.Rows.Count;
            o["seconds"] = Math.Round(k.Seconds, 3);
            if (Classes.Count > 1)
            {
                var pc = new JsonObject();
                foreach (var (name, (cm, cs, count)) in k.PerClass())
                {
                    var c = Metrics(cm, cs);
                    c["records"] = count;
                    pc[name] = c;
                }
                o["per_class"] = pc;
                if (k.LabelMapDice is { Count: > 0 } lm)
                    o["label_map_dice"] = new JsonObject(lm.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)R(kv.Value))));
            }
            keys[k.PromptKey] = o;
        }
        var evaluated = Keys.Where(k => !k.Skipped && k.Rows.Count > 0).ToList();
        var best = evaluated.Count == 0 ? null : evaluated.MaxBy(k => k.Summary().Mean.Dice);
        return new JsonObject
        {
            ["model"] = ModelDir, ["family"] = Family, ["data"] = DataRoot, ["split"] = Split,
            ["threshold"] = Threshold, ["zero_shot"] = ZeroShot, ["images"] = Images,
            ["records"] = Keys.FirstOrDefault(k => !k.Skipped)?.Rows.Count ?? 0,
            ["classes"] = new JsonArray(Classes.Select((c, i) => (JsonNode)new JsonObject { ["label"] = i + 1, ["name"] = c }).ToArray()),
            ["metrics_note"] = "per image at the original resolution; std = population standard deviation; empty prediction on empty mask scores Dice/IoU 1; hd95 in pixels (image diagonal when exactly one mask is empty)",
            ["best_prompt_key"] = best?.PromptKey,
            ["prompt_keys"] = keys,
        };
    }

    private static JsonObject Metrics(MaskScores m, MaskScores s) => new()
    {
        ["dice"] = Pair(m.Dice, s.Dice), ["iou"] = Pair(m.IoU, s.IoU), ["precision"] = Pair(m.Precision, s.Precision),
        ["recall"] = Pair(m.Recall, s.Recall), ["hd95"] = Pair(m.Hd95, s.Hd95),
    };

    private static JsonObject Pair(double mean, double std) => new() { ["mean"] = R(mean), ["std"] = R(std) };

    private static JsonNode? R(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    private static string F(double v) => double.IsFinite(v) ? v.ToString("F6", CultureInfo.InvariantCulture) : "";

    private static string Csv(string v) => v.IndexOfAny(new[] { ',', '"', '\n', '\r' }) < 0 ? v : "\"" + v.Replace("\"", "\"\"") + "\"";
}
