using System.Text;
using OriginGateway.Observability;

namespace OriginGateway.Tests.Observability;

public sealed class GatewayMetricsTests
{
    /// <summary>The registry as /metrics serves it (prometheus-net's text exposition).</summary>
    private static async Task<string> ScrapeAsync(GatewayMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task EveryDecision_IsExportedUnderTheReadmesNames_WithBoundedLabels()
    {
        var metrics = new GatewayMetrics();

        metrics.Request("bucket-1", "mirror", 200, 0.25);
        metrics.OriginRequest("origin:80", "ok", 0.1);
        metrics.Failover("origin:80");
        metrics.Coalesced("bucket-1");
        metrics.FillClaim("local");
        metrics.BytesServed("store", 1024);
        metrics.BytesStored("bucket-1", 2048);
        metrics.CommitRejected("Truncated");
        metrics.EgressDenied();
        metrics.TaskAttempt("fetch", "succeeded", 1.5);
        metrics.Callback("delivered");
        metrics.DependencyFailed("database");
        metrics.DependencyState("database", up: false);
        metrics.ObserveTasks(_ => Task.FromResult<IEnumerable<(string, string, long)>>([("fetch", "queued", 3)]));
        metrics.ObserveHotCache(() => (5120, 5));

        var text = await ScrapeAsync(metrics);

        Assert.Contains("# TYPE origin_gateway_requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_requests_total{action=\"mirror\",bucket=\"bucket-1\",status=\"200\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE origin_gateway_request_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_request_duration_seconds_bucket{action=\"mirror\",le=\"0.25\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_origin_requests_total{host=\"origin:80\",outcome=\"ok\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_origin_fetch_duration_seconds_count{host=\"origin:80\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_origin_failovers_total{host=\"origin:80\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_fills_coalesced_total{bucket=\"bucket-1\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_fill_claims_total{outcome=\"local\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_served_bytes_total{source=\"store\"} 1024", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_stored_bytes_total{bucket=\"bucket-1\"} 2048", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_commits_rejected_total{reason=\"Truncated\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_egress_denials_total 1", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_task_duration_seconds_count{kind=\"fetch\",outcome=\"succeeded\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_callbacks_total{outcome=\"delivered\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_dependency_failures_total{dependency=\"database\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_dependency_up{dependency=\"database\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_tasks{kind=\"fetch\",state=\"queued\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_hot_cache_bytes 5120", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_hot_cache_objects 5", text, StringComparison.Ordinal);
        Assert.DoesNotContain("key=", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// A counter whose series first appears at 1 shows Prometheus no increase: the series the sample alerts count
    /// (samples/prometheus/alerts.yml) are there at 0 before their first event, and count it from there.
    /// </summary>
    [Fact]
    public async Task TheSeriesAlertsCount_AreExportedAtZero_BeforeTheirFirstEvent()
    {
        var metrics = new GatewayMetrics();

        var text = await ScrapeAsync(metrics);

        foreach (var series in new[]
        {
            "origin_gateway_commits_rejected_total{reason=\"StoreFailed\"} 0",
            "origin_gateway_fill_claims_total{outcome=\"taken\"} 0",
            "origin_gateway_fill_claims_total{outcome=\"held\"} 0",
            "origin_gateway_fill_claims_total{outcome=\"unanswered\"} 0",
            "origin_gateway_fill_claims_total{outcome=\"local\"} 0",
            "origin_gateway_callbacks_total{outcome=\"delivered\"} 0",
            "origin_gateway_callbacks_total{outcome=\"retry\"} 0",
            "origin_gateway_callbacks_total{outcome=\"failed\"} 0",
            "origin_gateway_sync_passes_total{outcome=\"completed\"} 0",
            "origin_gateway_sync_passes_total{outcome=\"failed\"} 0",
            "origin_gateway_egress_denials_total 0",
        })
        {
            Assert.Contains(series + "\n", text, StringComparison.Ordinal);
        }

        metrics.CommitRejected("StoreFailed");
        metrics.FillClaim("local");
        metrics.Callback("failed");
        metrics.SyncPass(failed: true);
        text = await ScrapeAsync(metrics);
        Assert.Contains("origin_gateway_commits_rejected_total{reason=\"StoreFailed\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_fill_claims_total{outcome=\"local\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_callbacks_total{outcome=\"failed\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("origin_gateway_sync_passes_total{outcome=\"failed\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Totals_AreWhatTheAdminPageShows()
    {
        var metrics = new GatewayMetrics();
        metrics.Request("a", "hit", 200, 0.001);
        metrics.Request("a", "hit", 304, 0.001);
        metrics.Request("b", "mirror", 200, 0.1);
        metrics.BytesServed("origin", 500);
        metrics.BytesStored("b", 500);
        metrics.Failover("x:80");
        metrics.OriginRequest("x:80", "ok", 0.003);

        var totals = metrics.Totals();

        Assert.Equal(2, totals.Requests[("a", "hit")]);
        Assert.Equal(1, totals.Requests[("b", "mirror")]);
        Assert.Equal(500, totals.BytesFromOrigins);
        Assert.Equal(500, totals.BytesStoredByBucket["b"]);
        Assert.Equal(1, totals.Failovers);
        Assert.Equal(1, totals.OriginLatencyCounts[Array.IndexOf(GatewayMetrics.SecondsBuckets, 0.005)]);
    }
}
