using System.Text;

namespace Pipeline.Cli.Rendering;

/// <summary>Text from files (PNG chunks, plugin messages) made safe to print: control characters other than newline and tab become \xNN.</summary>
public static class TerminalText
{
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '\n' or '\t' || !char.IsControl(c)) sb.Append(c);
            else sb.Append(c < 0x100 ? $"\\x{(int)c:X2}" : $"\\u{(int)c:X4}");
        }
        return sb.ToString();
    }
}
