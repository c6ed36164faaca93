namespace Engine.Models;

internal static class ModelsAssembly { }
