using Microsoft.AspNetCore.Http;
using Pipeline.Server.A1111;
using Pipeline.Server.Hosting;
using Pipeline.Server.Http;

namespace Pipeline.Server.Api;

/// <summary>
/// Runs work on the generation queue for one HTTP request: 429 with Retry-After when the queue is full; cancelled when the
/// client goes away (it never starts if it was still waiting) or after the request timeout (504); a problem the plan finds
/// in the request's values is a 422.
/// </summary>
internal static class JobExecution
{
    public static Task<(A1111Result? Result, IResult? Failure)> Run(HttpContext http, ServerContext c, A1111Job job) =>
        Run(http, c, cancel =>
        {
            string id = "task(" + Guid.NewGuid().ToString("N")[..15] + ")";
            var interrupt = c.Board.Begin(id, job.Request.Steps * job.Images, c.Queue.Count - 1);
            c.Events.Publish(new ServerEvent("started", System.Text.Json.JsonSerializer.Serialize(new { job = id, images = job.Images })));
            try
            {
                var result = A1111Runner.Run(job, c.Models, c.Board, c.Events, c.Settings.PreviewEvery, cancel, interrupt);
                c.Events.Publish(new ServerEvent("finished", System.Text.Json.JsonSerializer.Serialize(new { job = id, images = result.Pngs.Count, interrupted = result.Interrupted })));
                return result;
            }
            finally { c.Board.End(); }
        });

    public static async Task<(T? Result, IResult? Failure)> Run<T>(HttpContext http, ServerContext c, Func<CancellationToken, T> work)
    {
        using var timeout = new CancellationTokenSource(c.Settings.RequestTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, timeout.Token);
        if (!c.Queue.TryEnqueue(work, linked.Token, out var task))
        {
            var retry = (int)Math.Ceiling(c.Queue.RetryAfter.TotalSeconds);
            http.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return (default, ApiResults.Error(StatusCodes.Status429TooManyRequests, "queue full",
                $"{c.Queue.Capacity} requests are waiting or running; try again in {retry} s"));
        }
        try { return (await task, null); }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return (default, Results.StatusCode(499));   // the client has gone; nobody reads this
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return (default, ApiResults.Error(StatusCodes.Status504GatewayTimeout, "timeout", $"the request did not finish within {c.Settings.RequestTimeout.TotalSeconds:F0} s (queue wait included)"));
        }
        catch (ArgumentException e)
        {
            return (default, ApiResults.Unprocessable("", e.Message));
        }
    }
}
