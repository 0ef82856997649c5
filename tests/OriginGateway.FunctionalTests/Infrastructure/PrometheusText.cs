using System.Globalization;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>Reading a <c>/metrics</c> page in the Prometheus text format.</summary>
public static class PrometheusText
{
    /// <summary>The sum of the samples whose line holds every fragment (a metric name with <c>{</c>, label pairs).</summary>
    public static double Sum(string metrics, params string[] fragments) => metrics.Split('\n')
        .Where(l => !l.StartsWith('#') && fragments.All(f => l.Contains(f, StringComparison.Ordinal)))
        .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
