using Engine.Imaging;
using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Data.Nifti;

namespace Engine.Data.Converters;

/// <summary>AbdomenCT-1K: Image/Case_XXXXX_0000.nii.gz + Mask/Case_XXXXX.nii.gz (labels 1 liver, 2 kidney,
/// 3 spleen, 4 pancreas). Every axial slice (or every N-th, --every) that holds organ voxels becomes one image,
/// windowed to 8 bits (default level 40 / width 400 HU) and written radiologically upright, with one record per organ
/// present (mask = that organ). Splits are by patient: no case has slices in two splits.</summary>
public sealed partial class AbdomenCt1kConverter : IDatasetConverter
{
    public static readonly IReadOnlyList<(int Label, string Organ)> Organs = [(1, "liver"), (2, "kidney"), (3, "spleen"), (4, "pancreas")];

    public string Name => "abdomenct-1k";
    public string Title => "AbdomenCT-1K";
    public string DefaultSplitDescription => "cases 0.8/0.1/0.1 (by patient)";
    public static readonly SplitSpec DefaultSplit = SplitSpec.Fractions(0.8, 0.1, 0.1);

    public string ExpectedLayout =>
        "  SRC/Image/Case_00001_0000.nii.gz, ...   (CT volumes, NIfTI-1, .nii or .nii.gz)\n" +
        "  SRC/Mask/Case_00001.nii.gz, ...         (labels 0 background, 1 liver, 2 kidney, 3 spleen, 4 pancreas)";

    [GeneratedRegex(@"^(Case_\d+)_0000\.nii(\.gz)?$", RegexOptions.IgnoreCase)]
    private static partial Regex ImageName();

    [GeneratedRegex(@"^(Case_\d+)\.nii(\.gz)?$", RegexOptions.IgnoreCase)]
    private static partial Regex MaskName();

    public ConversionResult Convert(ConversionOptions options, IConversionLog log)
    {
        if (options.Every < 1) throw new ArgumentException($"--every must be at least 1 (got {options.Every})");
        if (options.Window.Width <= 0) throw new ArgumentException($"--window width must be positive (got {options.Window.Width})");
        var src = SourceRoots.Locate(options.SourceDir, Name, ExpectedLayout, "Image", "AbdomenCT-1K");
        var imageDir = SourceFiles.RequireDir(src, "Image", Name, ExpectedLayout);
        var maskDir = SourceFiles.RequireDir(src, "Mask", Name, ExpectedLayout);
        var images = Directory.EnumerateFiles(imageDir).Select(f => (File: f, M: ImageName().Match(Path.GetFileName(f))))
            .Where(x => x.M.Success).ToDictionary(x => x.M.Groups[1].Value, x => x.File);
        var masks = Directory.EnumerateFiles(maskDir).Select(f => (File: f, M: MaskName().Match(Path.GetFileName(f))))
            .Where(x => x.M.Success).ToDictionary(x => x.M.Groups[1].Value, x => x.File);
        if (images.Count == 0)
            throw new SourceLayoutException($"{Name}: no Case_XXXXX_0000.nii(.gz) files in '{imageDir}'. Expected layout:\n{ExpectedLayout}");

        var skipped = new List<SkippedItem>();
        foreach (var (c, f) in images) if (!masks.ContainsKey(c)) skipped.Add(new SkippedItem(f, "no matching mask in Mask/"));
        foreach (var (c, f) in masks) if (!images.ContainsKey(c)) skipped.Add(new SkippedItem(f, "no matching image in Image/"));
        var cases = images.Keys.Where(masks.ContainsKey).Order(NaturalOrder.Instance).ToList();
        var spec = options.Split ?? DefaultSplit;
        var splitOf = spec.Assign(cases, options.Seed);
        log.Info($"{Name}: {cases.Count} cases in '{src}' (split by patient: " +
                 string.Join(", ", DatasetLayout.Splits.Select(s => $"{s} {splitOf.Values.Count(v => v == s)}")) + ")");

        var writer = new DatasetWriter(options.OutputDir, Prompts.PromptTemplates.Resolve(options.TemplatesPath), log);
        for (int ci = 0; ci < cases.Count; ci++)
        {
            var id = cases[ci];
            try
            {
                foreach (var r in ConvertCase(id, images[id], masks[id], options, writer, log)) writer.Add(splitOf[id], r);
            }
            catch (DatasetException e)
            {
                skipped.Add(new SkippedItem(images[id], e.Message));
            }
            log.Progress("cases", ci + 1, cases.Count);
        }
        PairedImageConversion.ReportSkipped(log, skipped);
        var settings = PairedImageConversion.BaseSettings(options, spec);
        settings["window"] = string.Create(CultureInfo.InvariantCulture, $"{options.Window.Level},{options.Window.Width}");
        settings["every"] = options.Every.ToString(CultureInfo.InvariantCulture);
        return writer.Finish(Name, "Image/ + Mask/ (NIfTI-1)", skipped, settings);
    }

    static List<DatasetRecord> ConvertCase(string id, string imagePath, string maskPath, ConversionOptions options, DatasetWriter writer, IConversionLog log)
    {
        var ct = NiftiVolume.Load(imagePath);
        var labels = NiftiVolume.Load(maskPath);
        if (!ct.Header.Dims.SequenceEqual(labels.Header.Dims))
            throw new DatasetException($"image is {string.Join("x", ct.Header.Dims)} voxels but mask '{Path.GetFileName(maskPath)}' is {string.Join("x", labels.Header.Dims)}");
        if (ct.Orientation.Code != labels.Orientation.Code)
            throw new DatasetException($"image orientation {ct.Orientation.Code} differs from mask '{Path.GetFileName(maskPath)}' orientation {labels.Orientation.Code}");
        var (w, h) = ct.AxialSliceSize;
        var slices = Enumerable.Range(0, ct.AxialSliceCount).Where(k => k % options.Every == 0).ToList();
        var perSlice = new List<DatasetRecord>[slices.Count];
        int unknownLabel = 0;
        Parallel.For(0, slices.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism) }, si =>
        {
            int k = slices[si];
            var lab = labels.AxialSlice(k);
            var records = new List<DatasetRecord>();
            perSlice[si] = records;
            var present = new bool[Organs.Count + 1];
            foreach (var v in lab)
            {
                int l = (int)Math.Round(v);
                if (l >= 1 && l <= Organs.Count) present[l] = true;
                else if (l != 0) Interlocked.Exchange(ref unknownLabel, l);
            }
            if (!present.Any(p => p)) return;
            var gray = Window(ct.AxialSlice(k), options.Window.Level, options.Window.Width);
            var image = RgbImage.FromGray(w, h, gray);
            var imageName = $"{id}_z{k:D4}.png";
            writer.WriteGrayImagePng(imageName, w, h, gray);
            foreach (var (label, organ) in Organs)
            {
                if (!present[label]) continue;
                var mask = new BinaryMask(w, h);
                for (int i = 0; i < lab.Length; i++) mask.Data[i] = (int)Math.Round(lab[i]) == label;
                var maskName = $"{id}_z{k:D4}_{organ}.png";
                writer.WriteMask(maskName, mask);
                records.Add(writer.CreateRecord(imageName, maskName, organ, image, mask));
            }
        });
        if (unknownLabel != 0) log.Warn($"{id}: mask has label {unknownLabel}, which is none of 1 liver, 2 kidney, 3 spleen, 4 pancreas; ignored");
        return perSlice.SelectMany(r => r).ToList();
    }

    /// <summary>HU -> 8 bits: level-width/2 maps to 0, level+width/2 to 255, linear and clamped.</summary>
    public static byte[] Window(double[] hu, double level, double width)
    {
        var gray = new byte[hu.Length];
        double lo = level - width / 2;
        for (int i = 0; i < hu.Length; i++)
            gray[i] = (byte)Math.Clamp(Math.Round((hu[i] - lo) / width * 255.0, MidpointRounding.AwayFromZero), 0, 255);
        return gray;
    }
}
