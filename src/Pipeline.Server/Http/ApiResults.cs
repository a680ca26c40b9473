using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Pipeline.Server.Http;

/// <summary>The server's JSON answers: FastAPI's 422 shape (as A1111 answers), and a plain { error, detail } otherwise.</summary>
public static class ApiResults
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IResult Unprocessable(IReadOnlyList<FieldError> errors) => Results.Json(new
    {
        detail = errors.Select(e => new { loc = e.Field.Length == 0 ? new[] { "body" } : new[] { "body" }.Concat(e.Field.Split('.')).ToArray(), msg = e.Message, type = e.Type }),
    }, Json, statusCode: StatusCodes.Status422UnprocessableEntity);

    public static IResult Unprocessable(string field, string message) => Unprocessable(new[] { new FieldError(field, message, "value_error") });

    public static IResult Error(int status, string error, string detail) => Results.Json(new { error, detail }, Json, statusCode: status);

    /// <summary>The path of the first string or name that is not valid text (JSON allows lone surrogate escapes; .NET strings
    /// cannot hold them safely), or null.</summary>
    static string? BadText(JsonElement e, string path)
    {
        try
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String: _ = e.GetString(); return null;
                case JsonValueKind.Array:
                    int i = 0;
                    foreach (var item in e.EnumerateArray())
                        if (BadText(item, path.Length == 0 ? $"{i++}" : $"{path}.{i++}") is { } bad) return bad;
                    return null;
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                        if (BadText(p.Value, path.Length == 0 ? p.Name : $"{path}.{p.Name}") is { } bad) return bad;
                    return null;
                default: return null;
            }
        }
        catch (InvalidOperationException) { return path; }
    }

    /// <summary>Reads the body as one JSON document: 413 over the limit, 422 when it is not JSON.</summary>
    public static async Task<(JsonDocument? Document, IResult? Problem)> ReadJson(HttpRequest request, CancellationToken cancel)
    {
        try
        {
            var document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 64 }, cancel);
            if (BadText(document.RootElement, "") is { } where)
            {
                document.Dispose();
                return (null, Unprocessable(new[] { new FieldError(where, "not valid text: a \\u escape leaves a lone UTF-16 surrogate", "value_error.str") }));
            }
            return (document, null);
        }
        catch (JsonException e)
        {
            return (null, Unprocessable(new[] { new FieldError("", $"the body is not valid JSON: {e.Message}", "value_error.jsondecode") }));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Error(StatusCodes.Status413PayloadTooLarge, "body too large", e.Message));
        }
    }
}
