namespace Pipeline.Checkpoints;

/// <summary>A file is not a valid safetensors file; the message names the problem and the file.</summary>
public sealed class SafeTensorsFormatException(string message) : IOException(message);
