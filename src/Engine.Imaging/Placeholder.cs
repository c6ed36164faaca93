namespace Engine.Imaging; internal static class Placeholder {}
