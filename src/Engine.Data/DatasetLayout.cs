namespace Engine.Data;

/// <summary>The one on-disk format every converter writes and every command reads:
/// <c>ROOT/images/</c>, <c>ROOT/masks/</c> (binary PNG 0/255), <c>ROOT/anns/{train,val,test}.json</c>, plus
/// <c>ROOT/prompt_templates.json</c> (the templates the prompts came from) and <c>ROOT/dataset_info.json</c>.</summary>
public static class DatasetLayout
{
    public const string ImagesFolder = "images";
    public const string MasksFolder = "masks";
    public const string AnnotationsFolder = "anns";
    public const string TemplatesFileName = "prompt_templates.json";
    public const string InfoFileName = "dataset_info.json";

    public static readonly IReadOnlyList<string> Splits = ["train", "val", "test"];

    public static string ImagesDir(string root) => Path.Combine(root, ImagesFolder);
    public static string MasksDir(string root) => Path.Combine(root, MasksFolder);
    public static string AnnotationPath(string root, string split) => Path.Combine(root, AnnotationsFolder, split + ".json");
    public static string TemplatesPath(string root) => Path.Combine(root, TemplatesFileName);
    public static string InfoPath(string root) => Path.Combine(root, InfoFileName);
}
