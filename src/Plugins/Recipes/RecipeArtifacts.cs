namespace Pipeline.Plugins.Recipes;

/// <summary>
/// A compiled recipe as stored: the assembly, its portable PDB (line numbers for runtime errors) and the
/// submission type and factory method the compiler chose as the script's entry point.
/// </summary>
sealed record RecipeArtifacts(byte[] Assembly, byte[] Pdb, string EntryType, string EntryMethod);
