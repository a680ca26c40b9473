using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Pipeline.Server.Http;

/// <summary>Every route needs <c>Authorization: Bearer KEY</c> when the server has a key (compared in constant time).</summary>
public static class ApiKey
{
    public static Func<HttpContext, RequestDelegate, Task> Check(string key)
    {
        var expected = Encoding.UTF8.GetBytes(key);
        return async (http, next) =>
        {
            var header = http.Request.Headers.Authorization.ToString();
            var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetBytes(header[7..].Trim()) : Array.Empty<byte>();
            if (given.Length == expected.Length && CryptographicOperations.FixedTimeEquals(given, expected)) { await next(http); return; }
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await http.Response.WriteAsJsonAsync(new { detail = "Not authenticated: give the server's API key as 'Authorization: Bearer KEY'" });
        };
    }
}
