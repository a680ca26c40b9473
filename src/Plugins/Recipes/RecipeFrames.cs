using System.Diagnostics;
using System.Reflection;

namespace Pipeline.Plugins.Recipes;

/// <summary>Finds the recipe line an exception passed through: the innermost stack frame in the recipe's assembly.</summary>
static class RecipeFrames
{
    public static int? InnermostLine(Exception error, Assembly recipe)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            var line = new StackTrace(e, fNeedFileInfo: true).GetFrames()
                .Where(f => f.GetMethod()?.Module.Assembly == recipe)
                .Select(f => f.GetFileLineNumber())
                .FirstOrDefault(l => l > 0);
            if (line > 0) return line;
        }
        return null;
    }
}
