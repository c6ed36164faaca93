using System.CommandLine;
using System.Text.Json;
using Engine.Imaging;
using Engine.Models.BiomedClip;
using Engine.Weights;

namespace Engine.Cli.Commands;

/// <summary>
/// `engine embed --model DIR (--image FILE|DIR ... | --text "..." ...) --out FILE.safetensors`: BiomedCLIP image and/or
/// text embeddings for retrieval. Writes image_features / text_features (projected, as open_clip encode_*) and their
/// L2-normalised versions (*_normalized); the metadata lists the images and texts in row order.
/// </summary>
public sealed class EmbedCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "BiomedCLIP folder (open_clip layout).", Required = true };
        var images = new Option<string[]>("--image") { Description = "Image file or folder of images (repeatable)." };
        var texts = new Option<string[]>("--text") { Description = "Text to embed (repeatable)." };
        var output = new Option<string>("--out") { Description = "safetensors file to write.", Required = true };
        var batch = new Option<int>("--batch") { Description = "Images per forward pass.", DefaultValueFactory = _ => 16 };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N.", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("embed", "Write BiomedCLIP image and/or text embeddings to a safetensors file.") { model, images, texts, output, batch, device };
        cmd.SetAction(p =>
        {
            var imageArgs = p.GetValue(images) ?? Array.Empty<string>();
            var textList = (p.GetValue(texts) ?? Array.Empty<string>()).ToList();
            if (imageArgs.Length == 0 && textList.Count == 0) throw new ArgumentException("Give --image and/or --text.");
            if (textList.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("A --text is empty.");
            int bs = p.GetValue(batch);
            if (bs < 1) throw new ArgumentException($"--batch must be at least 1 (got {bs}).");
            using var pipe = BiomedClipPipeline.Open(p.GetValue(model)!, Device.Parse(p.GetValue(device)!));
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
            if (imageArgs.Length > 0)
            {
                var files = BiomedClipPipeline.ExpandImagePaths(imageArgs);
                var rows = new List<Tensor>();
                for (int s = 0; s < files.Count; s += bs)
                    rows.Add(pipe.EmbedImages(files.Skip(s).Take(bs).Select(f => ImageLoader.Load(f)).ToList(), normalize: false));
                var f32 = Ops.Cat(rows, 0);
                tensors["image_features"] = f32;
                tensors["image_features_normalized"] = Ops.L2Normalize(f32, -1);
                meta["images"] = JsonSerializer.Serialize(files);
            }
            if (textList.Count > 0)
            {
                var t = pipe.EmbedTexts(textList, normalize: false);
                tensors["text_features"] = t;
                tensors["text_features_normalized"] = Ops.L2Normalize(t, -1);
                meta["texts"] = JsonSerializer.Serialize(textList);
            }
            using (Tensor.NoGrad()) SafetensorsFile.Write(p.GetValue(output)!, tensors, meta);
            Console.WriteLine($"biomedclip: wrote {string.Join(", ", tensors.Select(kv => $"{kv.Key} {Shape.Format(kv.Value.Shape)}"))} -> {p.GetValue(output)}");
            return 0;
        });
        return cmd;
    }
}
