using Pipeline.Imaging;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Imaging;

public class ImageGridTests
{
    [Fact]
    public void Cells_land_in_row_major_order_and_labels_leave_ink()
    {
        using var scope = NewDisposeScope();
        var cells = Enumerable.Range(0, 6).Select(i => full(new long[] { 3, 8, 10 }, i / 10f)).ToList();
        var grid = ImageGrid.Compose(cells, columns: 3, rowLabels: new[] { "euler", "heun" }, columnLabels: new[] { "5", "10", "25" }, padding: 2);
        int left = BitmapFont.Width("euler") + 4, top = BitmapFont.GlyphHeight + 4;
        Assert.Equal(top + 2 * (8 + 2) + 2, grid.shape[1]);
        Assert.Equal(left + 3 * (10 + 2) + 2, grid.shape[2]);
        for (int i = 0; i < 6; i++)
        {
            int y = top + 2 + i / 3 * 10, x = left + 2 + i % 3 * 12;
            Assert.Equal(i / 10f, grid[0, y + 4, x + 5].item<float>(), 6);
        }
        // Row labels: dark pixels left of the cells, column labels: dark pixels above them; the padding stays white.
        Assert.True(grid[.., top.., ..left].min().item<float>() == 0f);
        Assert.True(grid[.., ..top, left..].min().item<float>() == 0f);
        Assert.Equal(1f, grid[.., ..1, ..].min().item<float>());
    }

    [Fact]
    public void The_font_renders_known_glyphs_and_marks_unknown_ones()
    {
        var one = BitmapFont.Render("1");
        Assert.Equal(7, one.GetLength(0));
        Assert.True(one[0, 2] && !one[0, 0]);
        var unknown = BitmapFont.Render("€");
        var question = BitmapFont.Render("?");
        Assert.Equal(Enumerable.Range(0, 35).Select(i => question[i / 5, i % 5]), Enumerable.Range(0, 35).Select(i => unknown[i / 5, i % 5]));
        Assert.Throws<ArgumentException>(() => ImageGrid.Compose(new[] { zeros(3, 2, 2) }, 1, rowLabels: new[] { "a", "b" }));
    }
}
