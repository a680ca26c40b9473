namespace Pipeline.Plugins; internal static class AssemblyMarker {}
