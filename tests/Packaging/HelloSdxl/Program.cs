using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Extensions;

// The embedded default through dependency injection and Microsoft.Extensions.AI's IImageGenerator.
var services = new ServiceCollection().AddSdxl(o => o.PluginDirectories = Array.Empty<string>());
await using var provider = services.BuildServiceProvider();
var images = provider.GetRequiredService<IImageGenerator>();
var response = await images.GenerateAsync(new ImageGenerationRequest("a red circle on a blue background"),
    new ImageGenerationOptions { ImageSize = new System.Drawing.Size(64, 64) });
var png = response.Contents.OfType<DataContent>().Single();
var path = args.Length > 0 ? args[0] : "hello.png";
File.WriteAllBytes(path, png.Data.ToArray());
Console.WriteLine($"wrote {path}: {png.AdditionalProperties?["parameters"]}");
