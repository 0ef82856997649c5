using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace OriginGateway.Observability;

/// <summary>
/// <c>GET /metrics</c>: the collected series in the Prometheus text exposition format 0.0.4. Names follow
/// the usual mapping of <c>System.Diagnostics.Metrics</c> instruments: dots become underscores, the unit
/// is appended (<c>s</c> → <c>_seconds</c>, <c>By</c> → <c>_bytes</c>; annotations like <c>{request}</c> add
/// nothing), counters end in <c>_total</c>; <c>origin_gateway.requests</c> is <c>origin_gateway_requests_total</c>.
/// </summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static Task WriteAsync(HttpContext context, MetricsCollector collector)
    {
        var text = Render(collector.Collect());
        context.Response.ContentType = ContentType;
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(text, Encoding.UTF8, context.RequestAborted);
    }

    public static string Render(IEnumerable<MetricsCollector.InstrumentSnapshot> instruments)
    {
        var text = new StringBuilder(16 * 1024);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var instrument in instruments.OrderBy(i => i.Meter == GatewayMetrics.MeterName ? 0 : 1).ThenBy(i => i.Name, StringComparer.Ordinal))
        {
            var name = MetricName(instrument.Name, instrument.Unit, instrument.Kind);
            if (!written.Add(name))
            {
                // Two instruments mapping to one name would make an invalid exposition: the first wins.
                continue;
            }
            var type = instrument.Kind switch
            {
                MetricsCollector.MetricKind.Counter => "counter",
                MetricsCollector.MetricKind.Histogram => "histogram",
                _ => "gauge",
            };
            text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(string.IsNullOrWhiteSpace(instrument.Description) ? $"{instrument.Name} ({instrument.Meter})" : instrument.Description)).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            foreach (var series in instrument.Series.OrderBy(s => string.Join(',', s.Labels.Select(l => l.Value)), StringComparer.Ordinal))
            {
                if (instrument.Kind != MetricsCollector.MetricKind.Histogram)
                {
                    Sample(text, name, series.Labels, null, series.Value);
                    continue;
                }
                long cumulative = 0;
                for (var i = 0; i < instrument.Bounds.Length; i++)
                {
                    cumulative += series.BucketCounts[i];
                    Sample(text, name + "_bucket", series.Labels, Number(instrument.Bounds[i]), cumulative);
                }
                Sample(text, name + "_bucket", series.Labels, "+Inf", series.Count);
                Sample(text, name + "_sum", series.Labels, null, series.Value);
                Sample(text, name + "_count", series.Labels, null, series.Count);
            }
        }
        return text.ToString();
    }

    /// <summary>The Prometheus name of an instrument.</summary>
    public static string MetricName(string instrument, string? unit, MetricsCollector.MetricKind kind)
    {
        var name = Sanitize(instrument);
        var suffix = unit switch
        {
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            _ => null,
        };
        if (suffix is not null && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name += "_" + suffix;
        }
        if (kind == MetricsCollector.MetricKind.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }
        return name;
    }

    private static void Sample(StringBuilder text, string name, KeyValuePair<string, string>[] labels, string? le, double value)
    {
        text.Append(name);
        if (labels.Length > 0 || le is not null)
        {
            text.Append('{');
            var first = true;
            foreach (var (key, labelValue) in labels)
            {
                if (!first)
                {
                    text.Append(',');
                }
                first = false;
                text.Append(Sanitize(key)).Append("=\"").Append(EscapeLabel(labelValue)).Append('"');
            }
            if (le is not null)
            {
                text.Append(first ? "" : ",").Append("le=\"").Append(le).Append('"');
            }
            text.Append('}');
        }
        text.Append(' ').Append(Number(value)).Append('\n');
    }

    private static string Number(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Letters, digits and underscores, not starting with a digit; upper case lowered (snake_case).</summary>
    internal static string Sanitize(string name)
    {
        var result = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            result.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_');
        }
        if (result.Length == 0 || char.IsAsciiDigit(result[0]))
        {
            result.Insert(0, '_');
        }
        return result.ToString();
    }

    private static string EscapeHelp(string help) => help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
