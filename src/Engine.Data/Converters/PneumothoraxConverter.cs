namespace Engine.Data.Converters;

/// <summary>SIIM-ACR pneumothorax as PNG (Kaggle "Pneumothorax chest xray images and masks"): png_images/,
/// png_masks/, stage_1_train_images.csv and stage_1_test_images.csv (columns new_filename, ImageId, has_pneumo).
/// The Kaggle train file becomes train/val (80/20, seeded), its test file becomes test. By default every image is kept
/// (an empty mask is a valid target); --positives-only keeps the images with pneumothorax.</summary>
public sealed class PneumothoraxConverter : IDatasetConverter
{
    public const string TrainCsv = "stage_1_train_images.csv", TestCsv = "stage_1_test_images.csv";

    public string Name => "pneumothorax";
    public string Title => "SIIM-ACR Pneumothorax, PNG release (Kaggle)";
    public string DefaultSplitDescription => "Kaggle train file -> train/val 80/20; Kaggle test file -> test";

    public string ExpectedLayout =>
        "  SRC/png_images/*.png\n" +
        "  SRC/png_masks/*.png          (same file names as png_images)\n" +
        $"  SRC/{TrainCsv}  (columns new_filename, ImageId, has_pneumo)\n" +
        $"  SRC/{TestCsv}   (same columns)\n" +
        "  (SRC may also be the folder that contains siim-acr-pneumothorax/)";

    public ConversionResult Convert(ConversionOptions options, IConversionLog log)
    {
        var src = SourceRoots.Locate(options.SourceDir, Name, ExpectedLayout, "png_images", "siim-acr-pneumothorax");
        var imageDir = SourceFiles.RequireDir(src, "png_images", Name, ExpectedLayout);
        var maskDir = SourceFiles.RequireDir(src, "png_masks", Name, ExpectedLayout);
        var train = ReadList(SourceFiles.RequireFile(src, TrainCsv, Name, ExpectedLayout));
        var test = ReadList(SourceFiles.RequireFile(src, TestCsv, Name, ExpectedLayout));

        var spec = options.Split ?? SplitSpec.Fractions(0.8, 0.2, 0);
        if (options.Split is { Test: > 0 })
            log.Warn($"{Name}: the test share of --split is ignored: the Kaggle test file ({TestCsv}) is the test split");
        var trainValSpec = SplitSpec.Fractions(spec.Train / (spec.Train + spec.Val), spec.Val / (spec.Train + spec.Val), 0);

        var skipped = new List<SkippedItem>();
        var splitOf = new Dictionary<string, string>();
        var pairs = new List<SourcePair>();
        int negatives = 0;
        void Take(List<(string File, bool Positive)> list, Func<IEnumerable<string>, Dictionary<string, string>> assign)
        {
            var kept = new List<SourcePair>();
            foreach (var (file, positive) in list)
            {
                if (!positive) negatives++;
                if (options.PositivesOnly && !positive) continue;
                var id = Path.GetFileNameWithoutExtension(file);
                var img = Path.Combine(imageDir, file);
                var mask = Path.Combine(maskDir, file);
                if (!File.Exists(img)) { skipped.Add(new SkippedItem(img, "listed in the CSV but missing in png_images/")); continue; }
                if (!File.Exists(mask)) { skipped.Add(new SkippedItem(mask, "listed in the CSV but missing in png_masks/")); continue; }
                if (splitOf.ContainsKey(id)) { skipped.Add(new SkippedItem(img, "listed twice in the CSV files")); continue; }
                kept.Add(new SourcePair(id, img, mask));
                splitOf[id] = "";
            }
            foreach (var (id, s) in assign(kept.Select(p => p.Id))) splitOf[id] = s;
            pairs.AddRange(kept);
        }
        Take(train, ids => trainValSpec.Assign(ids, options.Seed));
        Take(test, ids => ids.ToDictionary(id => id, _ => "test"));
        log.Info($"{Name}: {train.Count} train-file and {test.Count} test-file images listed ({negatives} without pneumothorax{(options.PositivesOnly ? ", dropped by --positives-only" : ", kept")})");

        var settings = PairedImageConversion.BaseSettings(options, trainValSpec);
        settings["positives_only"] = options.PositivesOnly ? "true" : "false";
        return PairedImageConversion.Run(Name, "png_images/ + png_masks/ + stage_1 CSVs", pairs, splitOf, "pneumothorax", options, log, skipped, settings);
    }

    /// <summary>(new_filename, has_pneumo) rows of one Kaggle CSV.</summary>
    static List<(string File, bool Positive)> ReadList(string path)
    {
        var csv = CsvTable.Read(path);
        int file = csv.Column("new_filename"), label = csv.Column("has_pneumo");
        csv.Column("ImageId");
        var list = new List<(string, bool)>();
        for (int r = 0; r < csv.Rows.Count; r++)
        {
            var row = csv.Rows[r];
            var v = row[label].Trim();
            if (v is not ("0" or "1" or "0.0" or "1.0" or "True" or "False" or "true" or "false"))
                throw new SourceLayoutException($"CSV '{path}' line {r + 2}: has_pneumo is '{v}', expected 0 or 1");
            var name = row[file].Trim();
            if (Path.GetExtension(name).Length == 0) name += ".png";
            list.Add((name, v is "1" or "1.0" or "True" or "true"));
        }
        return list;
    }
}
